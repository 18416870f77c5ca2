// report.html in a real browser: headless Chromium loads the page, its script marks it once
// every picture has decoded, and a screenshot shows more than a blank page. Removing a picture
// must turn the mark to "failed", so the check itself can fail.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <sstream>

#include "cnn/data/image.h"
#include "lab/lab_testing.h"

namespace cnn::lab {
namespace {

namespace fs = std::filesystem;

// Headless Chromium with what a container needs (no sandbox as root, no GPU), a throwaway
// profile, and a time limit; returns stdout, or sets `code` to the exit status.
std::string chromium(const fs::path& profile, const std::string& args, int& code) {
  const std::string command =
      "timeout 60 chromium --headless --no-sandbox --disable-gpu "
      "--no-first-run --disable-extensions --hide-scrollbars "
      "--user-data-dir=" +
      profile.string() + " " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    code = -1;
    return "";
  }
  std::string out;
  std::array<char, 4096> buffer{};
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return out;
}

class ReportInBrowser : public testing::LabTest {};

TEST_F(ReportInBrowser, EveryPictureLoads) {
  ASSERT_EQ(std::system("command -v chromium >/dev/null 2>&1"), 0)
      << "chromium is not installed (scripts/setup.sh --test installs it)";
  run("gates");
  const size_t pictures = result_.pictures.size();
  const std::string url = "file://" + (out_ / "report.html").string();
  const fs::path profile = out_ / "chromium-profile";
  int code = 0;

  const std::string dom = chromium(profile, "--dump-dom " + url, code);
  ASSERT_EQ(code, 0) << dom;
  EXPECT_NE(dom.find("data-state=\"ok\""), std::string::npos) << dom.substr(0, 3000);
  EXPECT_NE(dom.find("[all " + std::to_string(pictures) + " pictures loaded]"), std::string::npos);

  const fs::path shot = out_ / "report.png";
  chromium(profile, "--window-size=1000,1400 --screenshot=" + shot.string() + " " + url, code);
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(fs::exists(shot));
  const Tensor image = data::decode_image(shot.string(), {.channels = 1});
  ASSERT_EQ(image.size(0), 1400);
  ASSERT_EQ(image.size(1), 1000);
  // Text and plots: a good share of the page is not white.
  const std::vector<float> gray = image.to_vector();
  size_t ink = 0;
  for (float v : gray) ink += v < 0.9f;
  EXPECT_GT(ink, gray.size() / 50) << "the screenshot is nearly blank";

  // Without one of its pictures the page says so.
  fs::remove(out_ / "gates" / result_.pictures.front().file);
  const std::string broken = chromium(profile, "--dump-dom " + url, code);
  ASSERT_EQ(code, 0);
  EXPECT_NE(broken.find("data-state=\"failed\""), std::string::npos) << broken.substr(0, 3000);
  EXPECT_NE(broken.find(result_.pictures.front().file), std::string::npos);
}

}  // namespace
}  // namespace cnn::lab
