#include "plot/png_canvas.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cnn/error.h"

namespace cnn::plot::detail {
namespace {

namespace fs = std::filesystem;

std::mutex& plplot_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Tableau 10: distinct hues that stay apart for the common colour-vision deficiencies.
constexpr int kPalette[kSeriesColors][3] = {
    {31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
    {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

// Whether PLplot has the pngcairo driver (Debian: plplot-driver-cairo). Without it plinit
// would ask on stdin for another device, then exit. The device list is C-only API of
// libplplot, which the build links only through the C++ binding (pkg-config plplot-c++,
// and so not on the link line), hence the run-time lookup; if it fails, let PLplot try.
bool pngcairo_available() {
  static const bool available = [] {
    using FileDevs = void (*)(const char***, const char***, int*);
    const auto list_devices = reinterpret_cast<FileDevs>(::dlsym(RTLD_DEFAULT, "plgFileDevs"));
    if (list_devices == nullptr) return true;
    std::array<const char*, 256> menu{}, names{};
    const char** menu_p = menu.data();
    const char** names_p = names.data();
    int count = static_cast<int>(names.size());
    list_devices(&menu_p, &names_p, &count);
    for (int k = 0; k < count; ++k) {
      const char* name = names[static_cast<size_t>(k)];
      if (name != nullptr && std::strcmp(name, "pngcairo") == 0) return true;
    }
    return false;
  }();
  return available;
}

fs::path folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

bool is_png(const std::string& path) {
  static const char kMagic[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};
  char head[8] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(head, 8) && std::memcmp(head, kMagic, 8) == 0;
}

void fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

PngCanvas::PngCanvas(const char* op, const std::string& png_path, int width_px, int height_px)
    : op_(op), path_(png_path), lock_(plplot_mutex()), width_px_(width_px), height_px_(height_px) {
  if (!pngcairo_available())
    fail(op_, ": cannot write '", path_,
         "': PLplot has no \"pngcairo\" device (install its cairo driver)");
  const fs::path folder = folder_of(path_);
  std::error_code ec;
  if (!fs::exists(folder, ec))
    fail(op_, ": cannot write '", path_, "': folder '", folder.string(), "' does not exist");
  if (!fs::is_directory(folder, ec))
    fail(op_, ": cannot write '", path_, "': '", folder.string(), "' is not a folder");
  std::string tmp_name = ".";  // hidden, and named for its target
  tmp_name += fs::path(path_).filename().string();
  tmp_name += ".tmp-XXXXXX";
  tmp_path_ = (folder / tmp_name).string();
  const int fd = ::mkstemp(tmp_path_.data());
  if (fd < 0) fail(op_, ": cannot write '", path_, "': ", std::strerror(errno));
  ::fchmod(fd, 0644);  // a picture, not a secret: mkstemp's 0600 would hide it from others
  ::close(fd);
  registered_ = std::make_unique<io::TemporaryFile>(tmp_path_);
  try {
    pls_ = std::make_unique<plstream>();
  } catch (...) {
    ::unlink(tmp_path_.c_str());
    throw;
  }
  plstream& p = *pls_;
  p.sdev("pngcairo");
  p.sfnam(tmp_path_.c_str());
  p.spage(0, 0, width_px_, height_px_, 0, 0);
  p.spause(false);
  p.scmap0n(kFirstSeriesColor + kSeriesColors);
  p.scol0(kWhite, 255, 255, 255);  // index 0 is the background
  p.scol0(kBlack, 0, 0, 0);
  p.scol0(kGridGrey, 225, 225, 225);
  p.scol0(kMidGrey, 150, 150, 150);
  for (int k = 0; k < kSeriesColors; ++k)
    p.scol0(kFirstSeriesColor + k, kPalette[k][0], kPalette[k][1], kPalette[k][2]);
  p.init();
  p.adv(0);
  // pngcairo fixes its own resolution; measure it rather than assume it.
  PLFLT xmin_mm = 0, xmax_mm = 0, ymin_mm = 0, ymax_mm = 0;
  p.gspa(xmin_mm, xmax_mm, ymin_mm, ymax_mm);
  px_per_mm_ = width_px_ / (xmax_mm - xmin_mm);
}

PngCanvas::~PngCanvas() {
  pls_.reset();
  if (!finished_) ::unlink(tmp_path_.c_str());
}

void PngCanvas::text_height_px(double text_px) {
  pls_->schr(mm(text_px), 1.0);
}

void PngCanvas::viewport_px(double left, double right, double bottom, double top) {
  pls_->svpa(mm(left), mm(width_px_ - right), mm(bottom), mm(height_px_ - top));
}

void PngCanvas::finish() {
  pls_.reset();  // ends the stream: pngcairo writes the file now
  // PLplot reports a failed write only on stderr: check for a PNG before replacing anything.
  if (!is_png(tmp_path_)) fail(op_, ": PLplot wrote no PNG for '", path_, "'");
  fsync_path(tmp_path_, O_RDONLY);
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0)
    fail(op_, ": cannot write '", path_, "': ", std::strerror(errno));
  finished_ = true;
  registered_.reset();
  fsync_path(folder_of(path_), O_RDONLY | O_DIRECTORY);
}

std::string plplot_text(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    out += c;
    if (c == '#') out += '#';  // "##" is a literal '#'
  }
  return out;
}

}  // namespace cnn::plot::detail
