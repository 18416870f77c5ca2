#include "io/file_signature.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "cnn/error.h"

namespace cnn::io {
namespace {

// pickle.dumps(0x1950a86a20f9469cfc6c) after its PROTO (and, from protocol 4, FRAME) opcode:
// LONG1 of 10 little-endian bytes.
constexpr unsigned char kTorchMagicLong[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                             0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr unsigned char kProto = 0x80, kFrame = 0x95;
constexpr size_t kFrameBytes = 9;  // the opcode and an 8-byte length

}  // namespace

FileSignature file_signature(const detail::InputFile& file) {
  unsigned char head[32] = {};
  const size_t n = static_cast<size_t>(std::min<uint64_t>(file.size(), sizeof head));
  file.read_at(head, n, 0);
  if (n >= 4 && std::memcmp(head, "PK\3\4", 4) == 0) return FileSignature::zip;
  // A pickle starts with PROTO and its protocol (2 to 5 for anything torch.save writes).
  if (n < 2 || head[0] != kProto || head[1] < 2 || head[1] > 5) return FileSignature::other;
  size_t at = 2;
  if (n > at && head[at] == kFrame) at += kFrameBytes;
  if (n >= at + sizeof kTorchMagicLong &&
      std::memcmp(head + at, kTorchMagicLong, sizeof kTorchMagicLong) == 0)
    return FileSignature::torch_legacy;
  return FileSignature::pickle;
}

void refuse_pickle_file(const std::string& path, FileSignature signature) {
  if (signature == FileSignature::torch_legacy)
    fail(path,
         ": a PyTorch file in the legacy format (torch.save before PyTorch 1.6, or with "
         "_use_new_zipfile_serialization=False), which this reader does not read; re-save it "
         "in the zip format with PyTorch 1.6 or later: torch.save(torch.load(path), path)");
  fail(path,
       ": a bare Python pickle, not a torch.save zip archive or a safetensors file; save the "
       "state_dict with torch.save(model.state_dict(), path) in PyTorch 1.6 or later");
}

}  // namespace cnn::io
