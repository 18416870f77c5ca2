// fuzz_make_corpus OUT: writes the seed corpora of the fuzz targets, OUT/<target>/..., with the
// library's own writers and with libpng and libjpeg directly (every colour type, bit depth and
// interlace of PNG; baseline, progressive, arithmetic and restart-marker JPEGs). The checkpoint
// and config.json seeds come from a real training run when the Fashion-MNIST files are
// installed. fuzz/make_corpus.py adds the files PyTorch writes (.pth, data.pkl, .onnx).
// Every seed is small (a few KiB at most), so that the fuzzers run fast.
// jpeglib.h needs size_t and FILE declared before it
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cnn/data/idx.h"
#include "cnn/error.h"
#include "cnn/generator.h"
#include "cnn/io/pth.h"
#include "cnn/io/safetensors.h"
#include "cnn/nn/activation.h"
#include "cnn/nn/containers.h"
#include "cnn/nn/conv.h"
#include "cnn/nn/linear.h"
#include "cnn/nn/norm.h"
#include "cnn/nn/pool.h"
#include "cnn/onnx/export.h"
#include "cnn/train/checkpoint.h"
#include "cnn/train/config.h"
#include "cnn/train/trainer.h"
#include "io/pth_unpickle.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

std::mt19937 random_bytes(20240514);  // fixed: the corpus is the same on every machine

Bytes noise(size_t n) {
  Bytes b(n);
  for (auto& v : b) v = static_cast<uint8_t>(random_bytes());
  return b;
}

void write(const fs::path& path, const Bytes& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

void write(const fs::path& path, const std::string& text) {
  write(path, Bytes(text.begin(), text.end()));
}

Bytes gzip(const Bytes& raw) {
  z_stream z{};
  CNN_CHECK(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflate");
  Bytes out(deflateBound(&z, raw.size()));
  z.next_in = const_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  CNN_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// ---- IDX ----

Bytes idx(const std::vector<uint32_t>& shape) {
  Bytes b = {0, 0, 0x08, static_cast<uint8_t>(shape.size())};
  size_t count = 1;
  for (const uint32_t d : shape) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(d >> shift));
    count *= d;
  }
  const Bytes values = noise(count);
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

void idx_seeds(const fs::path& out) {
  const std::vector<std::pair<std::string, std::vector<uint32_t>>> files = {
      {"images-3x4x5", {3, 4, 5}}, {"images-1x28x28", {1, 28, 28}}, {"labels-7", {7}},
      {"rank2-6x2", {6, 2}},       {"rank4-2x3x2x2", {2, 3, 2, 2}}, {"empty-0x4x4", {0, 4, 4}}};
  for (const auto& [name, shape] : files) {
    const Bytes raw = idx(shape);
    write(out / "idx" / name, raw);
    write(out / "idx" / (name + ".gz"), gzip(raw));
    write(out / "idx_gzip" / name, raw);
  }
}

// ---- PNG ----

struct PngKind {
  const char* name;
  int color_type;
  int bit_depth;
  int channels;
  bool interlaced;
  bool transparency;
};

void write_png(const fs::path& path, const PngKind& kind, uint32_t width, uint32_t height) {
  fs::create_directories(path.parent_path());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  CNN_CHECK(f != nullptr, path.string(), ": cannot create");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    cnn::fail(path.string(), ": libpng failed to write the seed");
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, width, height, kind.bit_depth, kind.color_type,
               kind.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (kind.color_type == PNG_COLOR_TYPE_PALETTE) {
    const int entries = 1 << kind.bit_depth;  // every index the samples can hold is valid
    std::vector<png_color> palette(static_cast<size_t>(entries));
    for (auto& c : palette)
      c = {static_cast<png_byte>(random_bytes()), static_cast<png_byte>(random_bytes()),
           static_cast<png_byte>(random_bytes())};
    png_set_PLTE(png, info, palette.data(), entries);
    if (kind.transparency) {
      const Bytes alpha = noise(static_cast<size_t>(entries) / 2 + 1);
      png_set_tRNS(png, info, alpha.data(), static_cast<int>(alpha.size()), nullptr);
    }
  } else if (kind.transparency) {
    png_color_16 key{};
    key.gray = 1;
    key.red = 2;
    key.green = 3;
    key.blue = 4;
    png_set_tRNS(png, info, nullptr, 0, &key);
  }
  png_set_gAMA(png, info, 1.0 / 2.2);
  png_write_info(png, info);
  const size_t row_bytes = (static_cast<size_t>(width) * kind.channels * kind.bit_depth + 7) / 8;
  std::vector<Bytes> rows;
  std::vector<png_bytep> row_pointers;
  for (uint32_t y = 0; y < height; ++y) rows.push_back(noise(row_bytes));
  for (auto& r : rows) row_pointers.push_back(r.data());
  png_write_image(png, row_pointers.data());  // handles Adam7 passes itself
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

void png_seeds(const fs::path& out) {
  const PngKind kinds[] = {
      {"gray1", PNG_COLOR_TYPE_GRAY, 1, 1, false, false},
      {"gray2", PNG_COLOR_TYPE_GRAY, 2, 1, false, false},
      {"gray4-interlaced", PNG_COLOR_TYPE_GRAY, 4, 1, true, false},
      {"gray8", PNG_COLOR_TYPE_GRAY, 8, 1, false, false},
      {"gray8-trns", PNG_COLOR_TYPE_GRAY, 8, 1, false, true},
      {"gray16-interlaced", PNG_COLOR_TYPE_GRAY, 16, 1, true, false},
      {"gray-alpha8", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 2, false, false},
      {"gray-alpha16", PNG_COLOR_TYPE_GRAY_ALPHA, 16, 2, true, false},
      {"rgb8", PNG_COLOR_TYPE_RGB, 8, 3, false, false},
      {"rgb8-interlaced-trns", PNG_COLOR_TYPE_RGB, 8, 3, true, true},
      {"rgb16", PNG_COLOR_TYPE_RGB, 16, 3, false, false},
      {"rgba8", PNG_COLOR_TYPE_RGB_ALPHA, 8, 4, false, false},
      {"rgba16-interlaced", PNG_COLOR_TYPE_RGB_ALPHA, 16, 4, true, false},
      {"palette1", PNG_COLOR_TYPE_PALETTE, 1, 1, false, false},
      {"palette2-trns", PNG_COLOR_TYPE_PALETTE, 2, 1, false, true},
      {"palette4-interlaced", PNG_COLOR_TYPE_PALETTE, 4, 1, true, false},
      {"palette8-trns", PNG_COLOR_TYPE_PALETTE, 8, 1, false, true},
  };
  for (const PngKind& kind : kinds)
    write_png(out / "png" / (std::string(kind.name) + ".png"), kind, 7, 5);
}

// ---- JPEG ----

struct JpegKind {
  const char* name;
  int components;  // 1 gray, 3 RGB
  bool progressive;
  bool arithmetic;
  int restart_rows;
  bool subsampled;  // 4:2:0 chroma, else 4:4:4
};

void write_jpeg(const fs::path& path, const JpegKind& kind, int width, int height) {
  fs::create_directories(path.parent_path());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  CNN_CHECK(f != nullptr, path.string(), ": cannot create");
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);  // the defaults exit on error: acceptable in a seed generator
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = static_cast<JDIMENSION>(width);
  c.image_height = static_cast<JDIMENSION>(height);
  c.input_components = kind.components;
  c.in_color_space = kind.components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 90, TRUE);
  if (kind.components == 3) {
    const int factor = kind.subsampled ? 2 : 1;
    c.comp_info[0].h_samp_factor = factor;
    c.comp_info[0].v_samp_factor = factor;
  }
  if (kind.progressive) jpeg_simple_progression(&c);
  c.arith_code = kind.arithmetic ? TRUE : FALSE;
  c.restart_in_rows = kind.restart_rows;
  jpeg_start_compress(&c, TRUE);
  const Bytes pixels = noise(static_cast<size_t>(width) * height * kind.components);
  while (c.next_scanline < c.image_height) {
    auto* row = const_cast<JSAMPLE*>(pixels.data() + static_cast<size_t>(c.next_scanline) * width *
                                                         kind.components);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

void jpeg_seeds(const fs::path& out) {
  const JpegKind kinds[] = {
      {"gray-baseline", 1, false, false, 0, false},
      {"rgb-baseline-444", 3, false, false, 0, false},
      {"rgb-baseline-420", 3, false, false, 0, true},
      {"rgb-progressive", 3, true, false, 0, true},
      {"gray-progressive", 1, true, false, 0, false},
      {"rgb-restart", 3, false, false, 1, true},
      {"rgb-arithmetic", 3, false, true, 0, true},
  };
  for (const JpegKind& kind : kinds)
    write_jpeg(out / "jpeg" / (std::string(kind.name) + ".jpg"), kind, 13, 9);
}

// ---- tensors: safetensors, .pth, data.pkl ----

cnn::nn::StateDict small_state_dict(cnn::Generator& gen) {
  cnn::nn::StateDict d;
  d.insert("conv.weight", cnn::Tensor::uniform({2, 1, 3, 3}, -1, 1, gen));
  d.insert("conv.bias", cnn::Tensor::uniform({2}, -1, 1, gen));
  d.insert("bn.num_batches_tracked", cnn::Tensor::from_data_i64({}, {7}));
  d.insert("fc.weight", cnn::Tensor::uniform({3, 2}, -1, 1, gen));
  d.insert("empty", cnn::Tensor::zeros({0, 4}));
  return d;
}

void tensor_seeds(const fs::path& out) {
  cnn::Generator gen(7);
  const cnn::nn::StateDict d = small_state_dict(gen);
  cnn::io::save_safetensors((out / "safetensors" / "small.safetensors").string(), d);
  cnn::io::save_safetensors((out / "safetensors" / "metadata.safetensors").string(), d,
                            {{"format", "pt"}, {"note", "seed"}});
  cnn::nn::StateDict one;
  one.insert("x", cnn::Tensor::from_data({}, {1.5f}));
  cnn::io::save_safetensors((out / "safetensors" / "scalar.safetensors").string(), one);
  cnn::io::save_safetensors((out / "safetensors" / "none.safetensors").string(), {});

  cnn::io::save_pth((out / "pth" / "small.pth").string(), d, {{"", 1}, {"bn", 2}});
  cnn::io::save_pth((out / "pth" / "scalar.pth").string(), one);

  std::vector<std::pair<std::string, cnn::Tensor>> tensors;
  for (const auto& [name, t] : d) tensors.emplace_back(name, t);
  write(out / "unpickle" / "small.pkl",
        cnn::io::pickle::write_state_dict(tensors, {{"", 1}, {"bn", 2}}));
  write(out / "unpickle" / "plain.pkl", cnn::io::pickle::write_state_dict(tensors, {}));
}

// ---- ONNX, checkpoints, config.json ----

std::shared_ptr<cnn::nn::Module> tiny_network(cnn::Generator& gen) {
  using namespace cnn::nn;
  return std::make_shared<Sequential>(
      std::make_shared<Conv2d>(1, 4, Conv2dOptions{.kernel = 3, .padding = 1}, gen),
      std::make_shared<BatchNorm2d>(4), std::make_shared<ReLU>(),
      std::make_shared<MaxPool2d>(cnn::MaxPool2dOptions{.kernel = 2}),
      std::make_shared<AdaptiveAvgPool2d>(1), std::make_shared<Flatten>(),
      std::make_shared<Linear>(4, 10, gen));
}

void onnx_seeds(const fs::path& out) {
  cnn::Generator gen(3);
  auto net = tiny_network(gen);
  fs::create_directories(out / "onnx");
  cnn::onnx::save(*net, {1, 28, 28, 1}, (out / "onnx" / "tiny.onnx").string());
  cnn::onnx::save(
      *net, {1, 28, 28, 1}, (out / "onnx" / "tiny-opset11-nhwc.onnx").string(),
      {.opset = 11, .nchw_interface = false, .dynamic_batch = false, .fold_batch_norm = true});
}

void training_seeds(const fs::path& out, const fs::path& work) {
  cnn::train::TrainConfig config;
  config.out = "runs/seed";
  write(out / "config" / "defaults.json", config.to_json());
  config.optimizer = "adam";
  config.schedule = "cosine";
  config.resize = 32;
  config.label_smoothing = 0.1;
  config.erasing = 0.25;
  config.flip = false;
  write(out / "config" / "adam-cosine.json", config.to_json());
  write(out / "config" / "partial.json",
        std::string(R"({"epochs": 2, "lr": 0.05, "out": "runs/partial"})"));

  const std::string data = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(fs::path(data) / "train-images-idx3-ubyte.gz")) {
    std::printf("fuzz_make_corpus: no %s: no checkpoint seeds\n", data.c_str());
    return;
  }
  // A real run of a tiny ONNX model (its checkpoints are a few KiB; a zoo model's are MiB).
  fs::remove_all(work);
  fs::create_directories(work);
  cnn::Generator gen(5);
  cnn::onnx::save(*tiny_network(gen), {1, 28, 28, 1}, (work / "tiny.onnx").string());
  cnn::train::TrainConfig run;
  run.model = (work / "tiny.onnx").string();
  run.data = data;
  run.epochs = 1;
  run.batch_size = 16;
  run.train_limit = 32;
  run.test_limit = 16;
  run.threads = 1;
  run.out = (work / "run").string();
  cnn::train::Trainer(run).run();
  for (const char* name : {"checkpoint-latest.ckpt", "checkpoint-best.ckpt"})
    if (fs::exists(work / "run" / name))
      fs::copy_file(work / "run" / name, out / "checkpoint" / name,
                    fs::copy_options::overwrite_existing);
  fs::copy_file(work / "run" / "config.json", out / "config" / "run.json",
                fs::copy_options::overwrite_existing);
  fs::remove_all(work);
}

// The lecture's layers as docs/FORMULAS.md writes them (constants s, g and eps as the target
// defines them).
void formula_seeds(const fs::path& out) {
  const char* formulas[] = {
      "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, s*x+dx, s*y+dy, i] + B[j]",
      "Y[b,x,y,j] = relu(W[dx,dy,i,j] * L[b, x+dx-1, y+dy-1, i] - B[j]) where x < 3, y < 3",
      "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, x + 2*dx, y + 2*dy, i]",
      "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, x+dx, y+dy, (j/g)*3 + i]",
      "Y[b,x,y,i] = max(dx, dy: L[b, s*x+dx-1, s*y+dy-1, i]) where x < 2, y < 2, dx < 3, dy < 3",
      "Y[b,x,y,i] = mean(dx, dy: L[b, 2*x+dx, 2*y+dy, i]) where dx < 2, dy < 2",
      "Y[b,j] = W[j,i] * L[b,i] + B[j]",
      ("mu[j] = mean(b, x, y: L[b,x,y,j])\nvar[j] = mean(b, x, y: (L[b,x,y,j] - mu[j])^2)\n"
       "Y[b,x,y,j] = relu(G[j] * (L[b,x,y,j] - mu[j]) / sqrt(var[j] + eps) + Beta[j] + "
       "R[b,x,y,j])"),
      "Y[b,x,y,j] = L[b, s*x, s*y, j] where x < (dim(L,1) + 1)/2, y < (dim(L,2) + 1)/2, j < 6",
      "Y[b,x,y,c] = L[b, x, y, (c % g)*3 + c/g] where c < 6",
      "Y[b,x,y,j] = A[b,x,y,j] + C[b,x,y,j - 3] where j < 6",
      "Y[b,x,y,i] = L[b, x/2, y/2, i] where x < 6, y < 6",
      "Y[b,j] = step(W[j,i] * L[b,i] - B[j])",
      "Y[b,x,y,j] = W[x,y,dx,dy,i,j] * L[b, x+dx, y+dy, i]",
      "Y[x] = tanh(sum(d: K[d] * L[x + d])) * exp(-L[2 - x]) + sigmoid(max(L[x], K[x]))",
  };
  int k = 0;
  for (const char* f : formulas) write(out / "formula" / ("lecture" + std::to_string(k++)), f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_corpus OUT\n");
    return 2;
  }
  const fs::path out = argv[1];
  try {
    for (const char* target : {"idx", "idx_gzip", "png", "jpeg", "pth", "unpickle", "safetensors",
                               "checkpoint", "config", "onnx", "formula"})
      fs::create_directories(out / target);
    idx_seeds(out);
    png_seeds(out);
    jpeg_seeds(out);
    tensor_seeds(out);
    onnx_seeds(out);
    formula_seeds(out);
    training_seeds(out, out / ".training-run");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_make_corpus: %s\n", e.what());
    return 1;
  }
  return 0;
}
