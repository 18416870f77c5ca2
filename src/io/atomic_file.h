// Writing a file so that a crash at any moment leaves either the old file or the new one:
// write a temporary file in the same folder, fsync it, rename it over the target, fsync the
// folder.
#pragma once

#include <string>

namespace cnn::io {

void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace cnn::io
