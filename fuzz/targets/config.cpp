// A run's config.json as `cnn train --resume` and the checkpoints read it
// (TrainConfig::from_json, then validate). A configuration that validates must also survive
// its own round trip through to_json: what a run writes, it must read back the same.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cnn/error.h"
#include "cnn/train/config.h"
#include "fuzz_target.h"

CNN_FUZZ_TARGET(config) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const cnn::train::TrainConfig config = cnn::train::TrainConfig::from_json(text, "config.json");
  config.validate();
  const std::string written = config.to_json();
  std::string again;
  try {
    again = cnn::train::TrainConfig::from_json(written, "config.json (written back)").to_json();
  } catch (const cnn::Error& e) {
    again = e.what();
  }
  if (again != written) {
    std::fprintf(stderr, "a valid config.json does not survive its round trip:\n%s\n---\n%s\n",
                 written.c_str(), again.c_str());
    std::abort();
  }
}
