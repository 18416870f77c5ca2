// Every sentence the lab quotes is the lecture's, word for word.
#include "cnn/lab/lecture.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cnn/error.h"

namespace cnn::lab {
namespace {

// Runs of whitespace as one space: the lecture's source breaks lines freely.
std::string squeeze(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

// The lecture's markdown, docs/lecture-cnn.md (tests/CMakeLists.txt names it).
std::string lecture_text() {
  std::ifstream in(CNN_LECTURE);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(LectureQuotes, AreVerbatim) {
  const std::string lecture = squeeze(lecture_text());
  ASSERT_FALSE(lecture.empty()) << "cannot read the lecture at " << CNN_LECTURE;
  EXPECT_GE(lecture_quotes().size(), 10u);
  for (const LectureQuote& q : lecture_quotes()) {
    EXPECT_NE(lecture.find(squeeze(q.text)), std::string::npos) << q.id << ": " << q.text;
    EXPECT_NE(lecture.find(q.slide), std::string::npos) << q.id << ": slide " << q.slide;
  }
}

TEST(LectureQuotes, LookUpById) {
  EXPECT_EQ(lecture_quote("circuits").text, "DNNs generalize digital circuits.");
  EXPECT_THROW(lecture_quote("no-such-quote"), Error);
}

}  // namespace
}  // namespace cnn::lab
