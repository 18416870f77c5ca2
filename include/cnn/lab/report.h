/// \file
/// The lab's HTML report: OUT/report.html, one section per experiment folder present under OUT,
/// each claim of the lecture quoted beside the pictures and the finding that test it.
///
/// The page checks itself once loaded: when every `<img>` has loaded (naturalWidth > 0) and no
/// image fired an error, the element `#lab-status` gets `data-state="ok"` and the title ends with
/// "[all N pictures loaded]"; otherwise `data-state="failed"` and the element names the pictures
/// that failed. A headless browser's --dump-dom shows either (the report test uses Chromium).
#pragma once

#include <string>

#include "cnn/lab/lab.h"

namespace cnn::lab {

/// Reads folder/result.json as the experiment wrote it. Raises cnn::Error naming the file
/// when it is missing or malformed.
ExperimentResult read_result(const std::string& folder);

/// Writes out_root/report.html from the experiment folders present (those of
/// experiment_names() holding a result.json) and returns its path.
std::string write_report(const std::string& out_root);

}  // namespace cnn::lab
