/// \file
/// A module's weights to and from the files PyTorch users have: .pth (torch.save of a
/// state_dict) and .safetensors, both holding PyTorch-layout state_dicts with torchvision's
/// names. The layouts differ only in two places (docs/ARCHITECTURE.md, docs/MODULES.md):
///
/// - Convolution weights: PyTorch's [O, I/groups, KH, KW] (OIHW) against our [KH, KW, I/groups, O]
/// ```text
///   (HWIO). Every 4-D tensor of a module's state_dict is a convolution weight, so the module's
///   own shapes say what to permute: OIHW -> HWIO is permute(2, 3, 1, 0), back is (3, 2, 0, 1).
/// ```
/// - The first Linear after flattening a spatial map: PyTorch flattens [C, H, W] as
/// ```text
///   c*H*W + h*W + w, we flatten [H, W, C] as (h*W + w)*C + c, so that Linear's weight columns
///   are permuted. Nothing in a module records that a Linear follows a flatten, so the model's
///   builder names those weights (WeightsOptions::flattened_inputs); global-pooled features
///   (H = W = 1) need nothing.
/// ```
/// 1-D and 2-D tensors and int64 counters (num_batches_tracked) are the same in both.
#pragma once

#include <string>
#include <vector>

#include "cnn/io/pth.h"
#include "cnn/io/safetensors.h"
#include "cnn/nn/module.h"

namespace cnn::io {

/// A Linear weight [out, C*H*W] whose input is a flattened [C, H, W] (PyTorch) or [H, W, C]
/// (ours) map.
struct FlattenedInput {
  std::string key;  ///< e.g. "classifier.1.weight"
  int64_t channels = 0, height = 0, width = 0;
};

struct WeightsOptions {
  std::vector<FlattenedInput> flattened_inputs;
};

/// Reorders the columns of a Linear weight [out, C*H*W]. to_nhwc: PyTorch's column order
/// (c, h, w) -> ours (h, w, c); otherwise back. Raises cnn::Error when the weight is not 2-D
/// with C*H*W columns.
Tensor permute_linear_input_columns(const Tensor& weight, int64_t channels, int64_t height,
                                    int64_t width, bool to_nhwc);

/// A PyTorch-layout state_dict from a .pth (recognised by its zip signature, whatever the
/// name) or a .safetensors file. `versions`, when given, receives the module versions the file
/// records (a .pth's _metadata; in a .safetensors file, the metadata "cnn.module_versions" that
/// save_pytorch_state_dict writes), empty when it records none.
nn::StateDict load_pytorch_state_dict(const std::string& path, ModuleVersions* versions = nullptr);

/// Raises cnn::Error "WHERE: tensor 'NAME' holds NaN at element [i, j, ...] of SHAPE" for the
/// first float tensor holding a NaN or an infinity: weights a model must not run with.
void check_finite(const nn::StateDict& tensors, const std::string& where);

/// Converts a PyTorch-layout state_dict to `module`'s layout and loads it strictly: one
/// cnn::Error lists every missing key, unexpected key and shape mismatch (naming the PyTorch
/// and our layout), and nothing is modified unless everything fits.
void load_weights(nn::Module& module, const nn::StateDict& pytorch_state,
                  const WeightsOptions& options = {});
void load_weights(nn::Module& module, const std::string& path, const WeightsOptions& options = {});

/// Every module's path and state_version(), root "" first, depth first: what PyTorch records in
/// a state_dict's _metadata.
ModuleVersions module_versions(const nn::Module& module);

/// The module's state_dict in PyTorch's layout, and written to `path` as .safetensors or (by
/// the extension) .pth, which torch.load reads, through save_pytorch_state_dict with
/// module_versions(module) (a .pth carries them as its _metadata, as torch.save of a
/// state_dict does).
nn::StateDict pytorch_state_dict(const nn::Module& module, const WeightsOptions& options = {});
void save_weights(const nn::Module& module, const std::string& path,
                  const WeightsOptions& options = {});

/// Writes a PyTorch-layout state_dict as .pth or .safetensors, chosen by the extension; any
/// other extension raises cnn::Error. `versions` become a .pth's _metadata (which PyTorch's
/// load_state_dict hands to each module: torchvision's MNASNet refuses a state_dict without
/// one) or a .safetensors file's metadata "cnn.module_versions".
void save_pytorch_state_dict(const std::string& path, const nn::StateDict& tensors,
                             const ModuleVersions& versions = {});

}  // namespace cnn::io
