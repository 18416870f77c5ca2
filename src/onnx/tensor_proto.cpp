#include "onnx/tensor_proto.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>

#include "cnn/error.h"
#include "core/input_file.h"

namespace cnn::onnx {
namespace {

namespace fs = std::filesystem;
using ::onnx::TensorProto;

// Reads [offset, offset + length) of a file inside `model_dir`. Refuses absolute locations,
// any '..' component, and (after resolving symbolic links) anything outside the folder.
std::string read_external(const TensorProto& proto, const std::string& model_dir,
                          const std::string& what, int64_t expected_bytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& entry : proto.external_data()) {
    const auto number = [&](const std::string& text) {
      CNN_CHECK(!text.empty() && text.size() <= 18 &&
                    text.find_first_not_of("0123456789") == std::string::npos,
                what, ": external data '", entry.key(), "' is not a non-negative integer: '",
                text.substr(0, 40), "'");
      return static_cast<int64_t>(std::stoll(text));
    };
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset")
      offset = number(entry.value());
    else if (entry.key() == "length")
      length = number(entry.value());
  }
  CNN_CHECK(!location.empty(), what, ": external data without a 'location'");
  CNN_CHECK(!model_dir.empty(), what, ": external data '", location,
            "' but the model was not read from a file");
  const fs::path rel(location);
  CNN_CHECK(!rel.is_absolute(), what, ": external data location '", location,
            "' is an absolute path; it must be relative to the model's folder");
  for (const auto& part : rel)
    CNN_CHECK(part != "..", what, ": external data location '", location,
              "' leaves the model's folder");
  std::error_code ec;
  const fs::path dir = fs::canonical(model_dir, ec);
  CNN_CHECK(!ec, what, ": cannot resolve the model's folder '", model_dir, "'");
  const fs::path file = fs::canonical(dir / rel, ec);
  CNN_CHECK(!ec, what, ": external data file '", location, "' not found next to the model");
  const std::string d = dir.string() + "/", f = file.string();
  CNN_CHECK(f.compare(0, d.size(), d) == 0, what, ": external data location '", location,
            "' resolves to ", f, ", outside the model's folder");
  // Opened without blocking and checked on the open file, so that a FIFO, device or folder is
  // refused at once, and the size checked is the one read.
  std::unique_ptr<detail::InputFile> in;
  try {
    in = std::make_unique<detail::InputFile>(f, "external data");
  } catch (const Error& e) {
    fail(what, ": external data '", location, "' is not a regular file: ", e.what());
  }
  const auto size = static_cast<int64_t>(std::min<uint64_t>(in->size(), INT64_MAX));
  if (length < 0) length = expected_bytes;
  CNN_CHECK(length == expected_bytes, what, ": external data length ", length,
            " bytes, but the shape needs ", expected_bytes);
  // Before the allocation: the bytes must be in the file.
  CNN_CHECK(offset <= size && length <= size - offset, what, ": external data [", offset, ", ",
            offset + length, ") lies past the end of '", location, "' (", size, " bytes)");
  std::string bytes(static_cast<size_t>(length), '\0');
  in->read_at(bytes.data(), static_cast<uint64_t>(length), static_cast<uint64_t>(offset));
  return bytes;
}

int64_t element_bytes(int32_t type) {
  switch (type) {
    case TensorProto::FLOAT:
    case TensorProto::INT32:
      return 4;
    case TensorProto::INT64:
    case TensorProto::DOUBLE:
      return 8;
    case TensorProto::BOOL:
    case TensorProto::INT8:
    case TensorProto::UINT8:
      return 1;
    default:
      return 0;
  }
}

}  // namespace

std::string elem_type_name(int32_t elem_type) {
  switch (elem_type) {
    case TensorProto::FLOAT:
      return "float";
    case TensorProto::UINT8:
      return "uint8";
    case TensorProto::INT8:
      return "int8";
    case TensorProto::UINT16:
      return "uint16";
    case TensorProto::INT16:
      return "int16";
    case TensorProto::INT32:
      return "int32";
    case TensorProto::INT64:
      return "int64";
    case TensorProto::STRING:
      return "string";
    case TensorProto::BOOL:
      return "bool";
    case TensorProto::FLOAT16:
      return "float16";
    case TensorProto::DOUBLE:
      return "double";
    case TensorProto::UINT32:
      return "uint32";
    case TensorProto::UINT64:
      return "uint64";
    case TensorProto::BFLOAT16:
      return "bfloat16";
    default:
      return "type " + std::to_string(elem_type);
  }
}

Tensor tensor_from_proto(const TensorProto& proto, const std::string& model_dir,
                         const std::string& what) {
  const int32_t type = proto.data_type();
  CNN_CHECK(type == TensorProto::FLOAT || type == TensorProto::INT64 ||
                type == TensorProto::INT32 || type == TensorProto::BOOL,
            what, ": element type ", elem_type_name(type),
            " is not supported (float, and int64/int32/bool for shapes and indices)");
  CNN_CHECK(proto.dims_size() <= 16, what, ": rank ", proto.dims_size(), " exceeds 16");
  Shape shape;
  for (int64_t d : proto.dims()) {
    CNN_CHECK(d >= 0, what, ": negative dimension ", d);
    shape.push_back(d);
  }
  int64_t n = 0;
  try {
    n = checked_numel(shape);
  } catch (const Error&) {
    fail(what, ": the element count of shape ", to_string(shape), " overflows");
  }
  const int64_t width = element_bytes(type);
  CNN_CHECK(n <= (int64_t{1} << 62) / width, what, ": shape ", to_string(shape), " is too large");
  const int64_t bytes = n * width;

  std::string external;
  const std::string* raw = nullptr;
  if (proto.data_location() == TensorProto::EXTERNAL) {
    external = read_external(proto, model_dir, what, bytes);
    raw = &external;
  } else if (proto.has_raw_data()) {
    raw = &proto.raw_data();
    CNN_CHECK(static_cast<int64_t>(raw->size()) == bytes, what, ": raw data holds ", raw->size(),
              " bytes, but shape ", to_string(shape), " of ", elem_type_name(type), " needs ",
              bytes);
  }
  // The values in the file must match the shape before anything is allocated: the dims alone
  // can ask for terabytes.
  if (!raw) {
    const int have = type == TensorProto::FLOAT   ? proto.float_data_size()
                     : type == TensorProto::INT64 ? proto.int64_data_size()
                                                  : proto.int32_data_size();  // int32 and bool
    CNN_CHECK(have == n, what, ": holds ", have, " values, but shape ", to_string(shape), " needs ",
              n);
  }
  if (type == TensorProto::FLOAT) {
    Tensor t = Tensor::empty(shape);
    if (raw)
      std::memcpy(t.data(), raw->data(), static_cast<size_t>(bytes));
    else
      std::copy(proto.float_data().begin(), proto.float_data().end(), t.data());
    return t;
  }
  Tensor t = Tensor::empty(shape, DType::i64);
  int64_t* out = t.data_i64();
  if (raw) {
    const char* p = raw->data();
    for (int64_t i = 0; i < n; ++i) {
      if (type == TensorProto::INT64) {
        std::memcpy(&out[i], p + 8 * i, 8);
      } else if (type == TensorProto::INT32) {
        int32_t v;
        std::memcpy(&v, p + 4 * i, 4);
        out[i] = v;
      } else {
        out[i] = p[i] != 0;
      }
    }
  } else if (type == TensorProto::INT64) {
    std::copy(proto.int64_data().begin(), proto.int64_data().end(), out);
  } else {  // int32 and bool are both stored in int32_data
    for (int64_t i = 0; i < n; ++i)
      out[i] = type == TensorProto::BOOL ? proto.int32_data(static_cast<int>(i)) != 0
                                         : proto.int32_data(static_cast<int>(i));
  }
  return t;
}

void tensor_to_proto(const Tensor& t, const std::string& name, TensorProto& proto) {
  proto.set_name(name);
  for (int64_t d : t.shape()) proto.add_dims(d);
  const Tensor c = t.contiguous();
  if (c.dtype() == DType::f32) {
    proto.set_data_type(TensorProto::FLOAT);
    proto.set_raw_data(c.data(), static_cast<size_t>(c.numel()) * sizeof(float));
  } else {
    proto.set_data_type(TensorProto::INT64);
    proto.set_raw_data(c.data_i64(), static_cast<size_t>(c.numel()) * sizeof(int64_t));
  }
}

}  // namespace cnn::onnx
