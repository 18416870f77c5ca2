#include "cnn/io/weights.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "cnn/error.h"
#include "cnn/io/pth.h"

namespace cnn::io {
namespace {

const FlattenedInput* flattened(const WeightsOptions& options, const std::string& key) {
  for (const FlattenedInput& f : options.flattened_inputs)
    if (f.key == key) return &f;
  return nullptr;
}

Shape permuted(const Shape& s, const Shape& dims) {
  Shape out;
  for (int64_t d : dims) out.push_back(s[static_cast<size_t>(d)]);
  return out;
}

// The safetensors metadata key under which module versions travel: [[path, version], ...].
constexpr const char* kVersionsKey = "cnn.module_versions";

ModuleVersions versions_from_metadata(const Metadata& metadata, const std::string& path) {
  const auto it = metadata.find(kVersionsKey);
  if (it == metadata.end()) return {};
  ModuleVersions out;
  const nlohmann::json list =
      nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  const auto bad = [&] {
    fail(path, ": metadata '", kVersionsKey, "' is not a list of [module path, version] pairs");
  };
  if (!list.is_array()) bad();
  for (const nlohmann::json& pair : list) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() ||
        !pair[1].is_number_unsigned() || pair[1].get<uint64_t>() > INT32_MAX)
      bad();
    out.emplace_back(pair[0].get<std::string>(), pair[1].get<int64_t>());
  }
  return out;
}

// "[i, j, k]": the index of flat element `flat` in a row-major `shape`.
std::string index_of(int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return to_string(index);
}

// OIHW -> HWIO and back; see the header.
const Shape kToHwio = {2, 3, 1, 0}, kToOihw = {3, 2, 0, 1};

void check_options(const nn::StateDict& ours, const WeightsOptions& options) {
  for (const FlattenedInput& f : options.flattened_inputs) {
    const Tensor* w = ours.find(f.key);
    CNN_CHECK(w != nullptr, "weights: flattened input '", f.key, "' is not a key of the module");
    CNN_CHECK(w->dim() == 2, "weights: flattened input '", f.key, "' is ", to_string(w->shape()),
              ", not a 2-D Linear weight");
  }
}

}  // namespace

Tensor permute_linear_input_columns(const Tensor& weight, int64_t channels, int64_t height,
                                    int64_t width, bool to_nhwc) {
  CNN_CHECK(channels > 0 && height > 0 && width > 0,
            "permute_linear_input_columns: C, H, W = ", channels, ", ", height, ", ", width,
            " must be positive");
  CNN_CHECK(weight.dim() == 2 && weight.size(1) == channels * height * width,
            "permute_linear_input_columns: weight ", to_string(weight.shape()), " is not [out, ",
            channels * height * width, "] for a flattened ", channels, "x", height, "x", width,
            " map");
  const int64_t out = weight.size(0);
  const Tensor w = weight.detach();
  // Column c*H*W + h*W + w (PyTorch) is column (h*W + w)*C + c (ours).
  if (to_nhwc)
    return w.reshape({out, channels, height, width})
        .permute({0, 2, 3, 1})
        .contiguous()
        .reshape({out, -1});
  return w.reshape({out, height, width, channels})
      .permute({0, 3, 1, 2})
      .contiguous()
      .reshape({out, -1});
}

nn::StateDict load_pytorch_state_dict(const std::string& path, ModuleVersions* versions) {
  if (is_zip_file(path) || is_pickle_file(path)) return load_pth(path, versions);
  Metadata metadata;
  nn::StateDict out = load_safetensors(path, &metadata);
  if (versions != nullptr) *versions = versions_from_metadata(metadata, path);
  return out;
}

void check_finite(const nn::StateDict& tensors, const std::string& where) {
  for (const auto& [name, t] : tensors) {
    if (!t.defined() || t.dtype() != DType::f32) continue;
    const Tensor c = t.contiguous();
    const float* p = c.data();
    const int64_t n = c.numel();
    for (int64_t i = 0; i < n; ++i) {
      if (std::isfinite(p[i])) continue;
      fail(where, ": tensor '", name, "' holds ", std::isnan(p[i]) ? "NaN" : "an infinity",
           " at element ", index_of(i, c.shape()), " of ", to_string(c.shape()),
           "; weights must be finite numbers");
    }
  }
}

void load_weights(nn::Module& module, const nn::StateDict& pytorch_state,
                  const WeightsOptions& options) {
  const nn::StateDict ours = module.state_dict();
  check_options(ours, options);
  std::vector<std::string> problems;
  nn::StateDict converted;
  for (const auto& [key, theirs] : pytorch_state)
    if (!ours.contains(key)) problems.push_back(detail::concat("unexpected key '", key, "'"));
  for (const auto& [key, mine] : ours) {
    const Tensor* theirs = pytorch_state.find(key);
    if (theirs == nullptr) {
      problems.push_back(detail::concat("missing key '", key, "' (", to_string(mine.shape()), ")"));
      continue;
    }
    Tensor t = theirs->detach();
    if (t.dtype() != mine.dtype()) {
      problems.push_back(detail::concat("'", key, "' is ", dtype_name(t.dtype()), " in the file, ",
                                        dtype_name(mine.dtype()), " in the module"));
      continue;
    }
    if (mine.dim() == 4) {
      if (t.dim() != 4 || permuted(t.shape(), kToHwio) != mine.shape()) {
        problems.push_back(detail::concat(
            "'", key, "': the file holds ", to_string(t.shape()), " (PyTorch OIHW",
            t.dim() == 4
                ? detail::concat(", i.e. ", to_string(permuted(t.shape(), kToHwio)), " HWIO")
                : "",
            ") but the module's convolution weight is ", to_string(mine.shape()), " (HWIO, i.e. ",
            to_string(permuted(mine.shape(), kToOihw)), " OIHW)"));
        continue;
      }
      t = t.permute(kToHwio).contiguous();
    } else if (t.shape() != mine.shape()) {
      problems.push_back(detail::concat("'", key, "': the file holds ", to_string(t.shape()),
                                        " but the module expects ", to_string(mine.shape())));
      continue;
    } else if (const FlattenedInput* f = flattened(options, key)) {
      t = permute_linear_input_columns(t, f->channels, f->height, f->width, /*to_nhwc=*/true);
    }
    converted.insert(key, t);
  }
  if (!problems.empty()) {
    std::string message = detail::concat("load_weights: the state_dict does not fit the ",
                                         module.type(), " (", problems.size(), " problems):");
    for (const std::string& p : problems) message.append("\n  ").append(p);
    throw Error(message);
  }
  module.load_state_dict(converted, /*strict=*/true);
}

void load_weights(nn::Module& module, const std::string& path, const WeightsOptions& options) {
  const nn::StateDict state = load_pytorch_state_dict(path);
  try {
    load_weights(module, state, options);
  } catch (const Error& e) {
    fail(path, ": ", e.what());
  }
}

nn::StateDict pytorch_state_dict(const nn::Module& module, const WeightsOptions& options) {
  const nn::StateDict ours = module.state_dict();
  check_options(ours, options);
  nn::StateDict out;
  for (const auto& [key, mine] : ours) {
    Tensor t = mine.detach();
    if (t.dim() == 4) t = t.permute(kToOihw).contiguous();
    if (const FlattenedInput* f = flattened(options, key))
      t = permute_linear_input_columns(t, f->channels, f->height, f->width, /*to_nhwc=*/false);
    out.insert(key, t.contiguous());
  }
  return out;
}

void save_pytorch_state_dict(const std::string& path, const nn::StateDict& tensors,
                             const ModuleVersions& versions) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".safetensors") {
    Metadata metadata;
    if (!versions.empty()) metadata[kVersionsKey] = nlohmann::json(versions).dump();
    save_safetensors(path, tensors, metadata);
  } else if (ext == ".pth" || ext == ".pt") {
    save_pth(path, tensors, versions);
  } else {
    fail(path, ": unknown weights format '", ext, "' (use .safetensors, .pth or .pt)");
  }
}

namespace {

void collect_versions(const nn::Module& module, const std::string& path, ModuleVersions& out) {
  out.emplace_back(path, module.state_version());
  for (const auto& [name, child] : module.named_children())
    collect_versions(*child, path.empty() ? name : detail::concat(path, ".", name), out);
}

}  // namespace

ModuleVersions module_versions(const nn::Module& module) {
  ModuleVersions out;
  collect_versions(module, "", out);
  return out;
}

void save_weights(const nn::Module& module, const std::string& path,
                  const WeightsOptions& options) {
  save_pytorch_state_dict(path, pytorch_state_dict(module, options), module_versions(module));
}

}  // namespace cnn::io
