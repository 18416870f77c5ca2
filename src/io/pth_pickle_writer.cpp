// The writing half of io/pth_unpickle.h: the protocol-2 pickle of an OrderedDict state_dict,
// as torch.save writes it (opcodes as in Python's Lib/pickletools.py).
#include "cnn/error.h"
#include "io/pth_unpickle.h"

namespace cnn::io::pickle {
namespace {

void put_string(std::string& out, const std::string& s) {
  out += 'X';
  for (int k = 0; k < 4; ++k) out += static_cast<char>((s.size() >> (8 * k)) & 0xff);
  out += s;
}

void put_int(std::string& out, int64_t v) {
  if (v >= INT32_MIN && v <= INT32_MAX) {
    out += 'J';
    for (int k = 0; k < 4; ++k)
      out += static_cast<char>((static_cast<uint64_t>(v) >> (8 * k)) & 0xff);
  } else {
    out += "\x8a\x08";
    for (int k = 0; k < 8; ++k)
      out += static_cast<char>((static_cast<uint64_t>(v) >> (8 * k)) & 0xff);
  }
}

}  // namespace

std::string write_state_dict(const std::vector<std::pair<std::string, Tensor>>& tensors,
                             const std::vector<std::pair<std::string, int64_t>>& versions) {
  // OrderedDict() then MARK, (key, _rebuild_tensor_v2(storage, 0, size, stride, False,
  // OrderedDict())) per tensor, SETITEMS, STOP: what torch.save writes, without the memo.
  std::string out =
      "\x80\x02"
      "ccollections\nOrderedDict\n)R(";
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, t] = tensors[i];
    CNN_CHECK(t.is_contiguous() && t.offset() == 0, "write_state_dict: '", name, "' is not dense");
    put_string(out, name);
    out += "ctorch._utils\n_rebuild_tensor_v2\n((";
    put_string(out, "storage");
    out += t.dtype() == DType::f32 ? "ctorch\nFloatStorage\n" : "ctorch\nLongStorage\n";
    put_string(out, std::to_string(i));
    put_string(out, "cpu");
    put_int(out, t.numel());
    out += "tQ";  // the persistent id tuple, then BINPERSID
    put_int(out, 0);
    out += '(';
    for (int64_t e : t.shape()) put_int(out, e);
    out += "t(";
    for (int64_t e : contiguous_strides(t.shape())) put_int(out, e);
    out +=
        "t\x89"
        "ccollections\nOrderedDict\n)RtR";
  }
  out += 'u';
  if (!versions.empty()) {
    // BUILD with the state {"_metadata": OrderedDict(path: {"version": v})}: the attribute
    // torch's state_dict() sets, which load_state_dict passes to each module's loader.
    out += "}(";
    put_string(out, "_metadata");
    out += "ccollections\nOrderedDict\n)R(";
    for (const auto& [path, version] : versions) {
      put_string(out, path);
      out += "}(";
      put_string(out, "version");
      put_int(out, version);
      out += 'u';
    }
    out += "uub";
  }
  out += '.';
  return out;
}

}  // namespace cnn::io::pickle
