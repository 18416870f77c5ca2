/// \file
/// The trainability lab: experiments that test, on real data, the lecture's claims about why
/// deep networks stop learning and what makes them learn again (`cnn lab EXPERIMENT`).
///
/// Each experiment writes a folder `OUT/<experiment>/` with its measurements (CSV and
/// result.json), its pictures (PNG) and verdict.txt, then regenerates OUT/report.html from every
/// experiment folder present (cnn/lab/report.h). Experiments:
/// ```text
///   gradients    per-layer weight gradients at initialization of deep plain networks
///   activations  the variance of each layer's activations through depth
///   depth        plain-20/56 against ResNet-20/56 trained under one schedule
///   batchnorm    one network trained with and without batch normalization
///   gates        threshold units computing AND, OR, NOT, circuits of them, and SGD learning them
/// ```
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cnn::lab {

struct LabOptions {
  std::string out = "runs/lab";
  std::string data = "/usr/share/datasets/fashion-mnist";
  uint64_t seed = 1;
  bool quick = false;       ///< each experiment in seconds (for tests), effects still visible
  int64_t epochs = 0;       ///< depth, batchnorm: passes over the training images (0: default)
  int64_t train_limit = 0;  ///< depth, batchnorm: training images used (0: default)
  int64_t test_limit = 0;   ///< depth, batchnorm: test images evaluated (0: default)
  int64_t batch_size = 0;   ///< gradients, activations: images in the measured batch (0: default)
  int64_t threads = 0;      ///< 0: every core
};

/// One of the lecture's claims and what the experiment measured about it.
struct Claim {
  std::string quote_id;  ///< a key of lecture_quotes() (cnn/lab/lecture.h)
  std::string finding;   ///< the measurement, in words and numbers
  bool held = false;
};

/// A picture of an experiment, relative to its folder.
struct Picture {
  std::string file;
  std::string caption;
};

struct ExperimentResult {
  std::string experiment;
  std::string title;
  std::string command;  ///< how to reproduce it
  std::string setup;    ///< what was run: network, data, sizes
  std::vector<Claim> claims;
  std::vector<std::string> notes;  ///< further observations that are not the lecture's claims
  std::vector<Picture> pictures;
  std::vector<std::string> data_files;  ///< CSV and JSON files of the folder

  /// verdict.txt: the title, the setup, each claim (held / did not hold) with its finding, notes.
  std::string verdict() const;
};

/// "gradients", "activations", "depth", "batchnorm", "gates": the order of `cnn lab all`.
const std::vector<std::string>& experiment_names();

/// Runs one experiment into `options.out/<name>/` (replacing an earlier lab folder of that name;
/// refusing a folder that is not one), writes its result.json and verdict.txt, regenerates
/// options.out/report.html, and returns the result. Raises cnn::Error naming an unknown
/// experiment or invalid options.
ExperimentResult run_experiment(const std::string& name, const LabOptions& options);

/// Raises cnn::Error naming the first invalid option.
void validate(const LabOptions& options);

}  // namespace cnn::lab
