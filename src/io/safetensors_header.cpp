#include "io/safetensors_header.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "cnn/error.h"

namespace cnn::io::safetensors {
namespace {

using json = nlohmann::json;

// The dtypes of the format (safetensors' Dtype); those we do not compute with are named in the
// error rather than called unknown.
bool is_safetensors_dtype(const std::string& d) {
  static const std::set<std::string> known = {
      "BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16",     "U16", "F16",     "BF16",    "I32",
      "U32",  "F32", "F64", "I64",     "U64",     "F8_E8M0", "F4",  "F6_E2M3", "F6_E3M2", "C64"};
  return known.count(d) != 0;
}

// Where in the schema the next JSON event belongs.
enum class At {
  start,          // the header itself: an object
  top_key,        // a tensor's name, "__metadata__", or the header's end
  metadata,       // the value of "__metadata__": an object (or null)
  metadata_key,   // a metadata key, or the metadata's end
  metadata_text,  // a metadata value: a string
  tensor,         // a tensor's description: an object
  field,          // "dtype", "shape", "data_offsets", or the description's end
  dtype,          // a string
  shape,          // an array
  extent,         // a non-negative integer, or the shape's end
  offsets,        // an array
  offset,         // a non-negative integer, or the offsets' end
  done,
};

// The SAX handler: every event either fits the schema or raises, naming what was expected.
class HeaderReader {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit HeaderReader(const std::string& path) : path_(path) {}

  bool null() {
    if (at_ == At::metadata) {  // "__metadata__": null, as an Option<HashMap> reads it
      at_ = At::top_key;
      return true;
    }
    unexpected("null");
  }
  bool boolean(bool) { unexpected("a boolean"); }
  bool number_integer(number_integer_t v) { unexpected(detail::concat("the number ", v)); }
  bool number_float(number_float_t, const string_t& text) {
    unexpected(detail::concat("the number ", text));
  }
  bool number_unsigned(number_unsigned_t v) {
    if (at_ == At::extent) {
      CNN_CHECK(tensor_.shape.size() < kMaxRank, where(), ": shape has more than ", kMaxRank,
                " extents (kMaxRank)");
      CNN_CHECK(v <= static_cast<uint64_t>(INT64_MAX), where(), ": extent ", v,
                " is over the limit of ", INT64_MAX);
      tensor_.shape.push_back(static_cast<int64_t>(v));
      return true;
    }
    if (at_ == At::offset) {
      CNN_CHECK(offsets_ < 2, where(), ": data_offsets holds more than two numbers");
      (offsets_++ == 0 ? tensor_.begin : tensor_.end) = v;
      return true;
    }
    unexpected(detail::concat("the number ", v));
  }
  bool string(string_t& s) {
    if (at_ == At::metadata_text) {
      header_.metadata.emplace(metadata_key_, std::move(s));
      at_ = At::metadata_key;
      return true;
    }
    if (at_ == At::dtype) {
      if (s == "F32")
        tensor_.dtype = DType::f32;
      else if (s == "I64")
        tensor_.dtype = DType::i64;
      else if (is_safetensors_dtype(s))
        fail(where(), ": dtype '", s, "' is not supported (F32 and I64 are)");
      else
        fail(where(), ": unknown dtype '", s.substr(0, 40), "'");
      at_ = At::field;
      return true;
    }
    unexpected(detail::concat("the string \"", s.substr(0, 40), s.size() > 40 ? "...\"" : "\""));
  }
  bool binary(binary_t&) { unexpected("binary data"); }

  bool start_object(size_t) {
    switch (at_) {
      case At::start:
        at_ = At::top_key;
        return true;
      case At::metadata:
        at_ = At::metadata_key;
        return true;
      case At::tensor:
        at_ = At::field;
        return true;
      default:
        unexpected("an object");
    }
  }
  bool key(string_t& k) {
    if (at_ == At::top_key) {
      CNN_CHECK(names_.insert(k).second, path_, ": the header names '", k,
                "' twice (a JSON object's keys must be unique)");
      if (k == "__metadata__") {
        at_ = At::metadata;
      } else {
        tensor_ = TensorInfo();
        tensor_.name = k;
        fields_ = 0;
        offsets_ = 0;
        at_ = At::tensor;
      }
      return true;
    }
    if (at_ == At::metadata_key) {
      CNN_CHECK(header_.metadata.count(k) == 0, path_, ": __metadata__ names '", k, "' twice");
      metadata_key_ = k;
      at_ = At::metadata_text;
      return true;
    }
    if (at_ == At::field) {
      static constexpr const char* kFields[] = {"dtype", "shape", "data_offsets"};
      static constexpr At kNext[] = {At::dtype, At::shape, At::offsets};
      for (int f = 0; f < 3; ++f) {
        if (k != kFields[f]) continue;
        CNN_CHECK((fields_ & (1 << f)) == 0, where(), ": '", k, "' appears twice");
        fields_ |= 1 << f;
        at_ = kNext[f];
        return true;
      }
      fail(where(), ": unknown field '", k.substr(0, 40),
           "' (a tensor has dtype, shape and data_offsets)");
    }
    unexpected("a key");  // not reached: keys come only inside objects
  }
  bool end_object() {
    switch (at_) {
      case At::top_key:
        at_ = At::done;
        return true;
      case At::metadata_key:
        at_ = At::top_key;
        return true;
      case At::field:
        CNN_CHECK(fields_ == 7, where(), " needs dtype, shape and data_offsets");
        header_.tensors.push_back(std::move(tensor_));
        at_ = At::top_key;
        return true;
      default:
        unexpected("the end of an object");
    }
  }
  bool start_array(size_t) {
    if (at_ == At::shape) {
      at_ = At::extent;
      return true;
    }
    if (at_ == At::offsets) {
      at_ = At::offset;
      return true;
    }
    unexpected("an array");
  }
  bool end_array() {
    if (at_ == At::extent) {
      at_ = At::field;
      return true;
    }
    if (at_ == At::offset) {
      CNN_CHECK(offsets_ == 2, where(), ": data_offsets must be two numbers [begin, end], got ",
                offsets_);
      at_ = At::field;
      return true;
    }
    unexpected("the end of an array");
  }
  bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception& e) {
    fail(path_, ": the header is not valid JSON (at header byte ", position - 1, "): ", e.what());
  }

  Header take() {
    CNN_CHECK(at_ == At::done, path_, ": the header ends before its object is complete");
    return std::move(header_);
  }

 private:
  std::string where() const { return detail::concat(path_, ": tensor '", tensor_.name, "'"); }

  // What the schema expected where `got` came.
  [[noreturn]] void unexpected(const std::string& got) const {
    switch (at_) {
      case At::start:
        fail(path_, ": the header is not a JSON object (it holds ", got, ")");
      case At::metadata:
      case At::metadata_key:
      case At::metadata_text:
        fail(path_, ": __metadata__ must map strings to strings",
             at_ == At::metadata_text ? detail::concat("; '", metadata_key_, "' holds ") : "; got ",
             got);
      case At::tensor:
        fail(where(), ": its description must be an object, got ", got);
      case At::dtype:
        fail(where(), ": dtype must be a string, got ", got);
      case At::shape:
      case At::extent:
        fail(where(), ": shape must be an array of non-negative integers; it holds ", got);
      case At::offsets:
      case At::offset:
        fail(where(), ": data_offsets must be two non-negative integers; it holds ", got);
      default:
        fail(path_, ": unexpected ", got, " in the header");
    }
  }

  const std::string& path_;
  At at_ = At::start;
  Header header_;
  std::set<std::string> names_;
  std::string metadata_key_;
  TensorInfo tensor_;
  int fields_ = 0;  // bits: dtype, shape, data_offsets seen
  int offsets_ = 0;
};

// Each tensor's bytes match its shape and lie in the data section; sorted by offset, they
// cover it exactly.
void check_layout(std::vector<TensorInfo>& tensors, uint64_t data_bytes, const std::string& path) {
  for (const TensorInfo& t : tensors) {
    const std::string where = detail::concat(path, ": tensor '", t.name, "'");
    CNN_CHECK(t.begin <= t.end && t.end <= data_bytes, where, ": data_offsets [", t.begin, ", ",
              t.end, "] fall outside the ", data_bytes, "-byte data section");
    int64_t numel = 1;
    for (int64_t e : t.shape)
      CNN_CHECK(!__builtin_mul_overflow(numel, e, &numel), where, ": shape ", to_string(t.shape),
                " overflows a 64-bit element count");
    uint64_t bytes = 0;
    const bool fits =
        !__builtin_mul_overflow(static_cast<uint64_t>(numel), dtype_size(t.dtype), &bytes);
    CNN_CHECK(fits && bytes == t.end - t.begin, where, ": shape ", to_string(t.shape), " of ",
              dtype_name(t.dtype), " needs ", fits ? detail::concat(bytes) : "over 2^64",
              " bytes but data_offsets span ", t.end - t.begin);
  }
  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(tensors.size());
  for (const TensorInfo& t : tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo* t : by_offset) {
    CNN_CHECK(t->begin >= covered, path, ": tensors '", previous ? previous->name : "", "' and '",
              t->name, "' overlap (bytes ", t->begin, " to ", covered, " of the data section)");
    CNN_CHECK(t->begin == covered, path, ": ", t->begin - covered, " unused bytes before tensor '",
              t->name, "' (its data begin at byte ", t->begin, " of the data section, ",
              previous ? detail::concat("'", previous->name, "' ends at ", covered)
                       : std::string("which must begin with the first tensor"),
              ")");
    covered = t->end;
    previous = t;
  }
  CNN_CHECK(covered == data_bytes, path, ": ", data_bytes - covered,
            " bytes follow the last tensor's data (the data section holds ", data_bytes,
            " bytes, the tensors cover ", covered, ")");
  std::sort(tensors.begin(), tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
}

}  // namespace

Header parse_header(std::string_view text, uint64_t data_bytes, const std::string& path) {
  // Checks on the bytes that the JSON grammar would report less clearly.
  CNN_CHECK(!(text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF"), path,
            ": the header starts with a UTF-8 byte-order mark; it must start with '{'");
  const size_t nul = text.find('\0');
  CNN_CHECK(nul == std::string_view::npos, path, ": NUL byte at header byte ", nul,
            " (the header is JSON text, padded with spaces only)");
  CNN_CHECK(!text.empty() && text.front() == '{', path,
            ": the header does not start with '{' (it is not a JSON object)");
  HeaderReader reader(path);
  json::sax_parse(text.begin(), text.end(), &reader);  // strict: only whitespace may follow
  Header header = reader.take();
  check_layout(header.tensors, data_bytes, path);
  return header;
}

}  // namespace cnn::io::safetensors
