// What a weights file is, from its first bytes rather than its name: a zip archive (torch.save
// since PyTorch 1.6), torch.save's legacy format (a pickle of the magic number
// 0x1950a86a20f9469cfc6c, then more pickles: PyTorch before 1.6, or
// _use_new_zipfile_serialization=False), some other pickle, or anything else (a safetensors
// file has no signature: its first 8 bytes are a length).
#pragma once

#include <string>

#include "core/input_file.h"

namespace cnn::io {

enum class FileSignature { zip, torch_legacy, pickle, other };

FileSignature file_signature(const detail::InputFile& file);

/// "PATH: ... re-save it with the zip format" for a legacy torch.save file or a bare pickle.
[[noreturn]] void refuse_pickle_file(const std::string& path, FileSignature signature);

}  // namespace cnn::io
