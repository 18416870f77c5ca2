/// \file
/// The lecture's sentences that the lab's experiments test, quoted verbatim from the lecture's
/// text (its spelling kept), so the report can set each measurement beside the
/// claim it tests. A test checks every quote against the lecture's text.
#pragma once

#include <string>
#include <vector>

namespace cnn::lab {

struct LectureQuote {
  std::string id;
  std::string text;     ///< exactly as in the lecture's source (whitespace aside), LaTeX included
  std::string display;  ///< how the report shows it when `text` is LaTeX; empty: `text` itself
  std::string slide;    ///< the slide's title in the lecture
};

const std::vector<LectureQuote>& lecture_quotes();
/// Raises cnn::Error naming an unknown id.
const LectureQuote& lecture_quote(const std::string& id);

}  // namespace cnn::lab
