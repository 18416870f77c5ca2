#include "options.h"

#include "cnn/error.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace cnn::tool {
namespace {

// Parses the whole string as a number; false when it is not one.
bool parse_number(const std::string& text, double& value) {
  try {
    size_t used = 0;
    value = std::stod(text, &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& s) {
        double v = 0;
        return parse_number(s, v) && v > 0 && std::isfinite(v)
                   ? std::string()
                   : "must be a positive number, got '" + s + "'";
      },
      "POSITIVE");
}

CLI::Validator non_negative() {
  return CLI::Validator(
      [](std::string& s) {
        double v = 0;
        return parse_number(s, v) && v >= 0 && std::isfinite(v)
                   ? std::string()
                   : "must be zero or positive, got '" + s + "'";
      },
      "NON-NEGATIVE");
}

CLI::Validator whole_in(int64_t lo, int64_t hi) {
  std::ostringstream name;
  name << "[" << lo << ", " << hi << "]";
  return CLI::Validator(
      [lo, hi, range = name.str()](std::string& s) {
        int64_t v = 0;
        const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), v);
        return !s.empty() && error == std::errc() && end == s.data() + s.size() && v >= lo &&
                       v <= hi
                   ? std::string()
                   : "must be a whole number in " + range + ", got '" + s + "'";
      },
      name.str());
}

CLI::Validator positive_float() {
  return CLI::Validator(
      [](std::string& s) {
        double v = 0;
        if (!parse_number(s, v) || !(v > 0)) return "must be a positive number, got '" + s + "'";
        const auto f = static_cast<float>(v);
        if (f == 0.0f || !std::isfinite(f))
          return "'" + s + "' is " + (f == 0.0f ? "0" : "infinite") +
                 " in float, the type the optimizers use";
        return std::string();
      },
      "POSITIVE");
}

CLI::Validator in_range(double lo, double hi) {
  std::ostringstream name;
  name << "[" << lo << ", " << hi << ")";
  return CLI::Validator(
      [lo, hi, range = name.str()](std::string& s) {
        double v = 0;
        return parse_number(s, v) && v >= lo && v < hi
                   ? std::string()
                   : "must be in " + range + ", got '" + s + "'";
      },
      name.str());
}

CLI::Validator one_of(const std::vector<std::string>& words) {
  std::string list;
  for (const auto& w : words) list += (list.empty() ? "" : "|") + w;
  return CLI::Validator(
      [words, list](std::string& s) {
        for (const auto& w : words)
          if (s == w) return std::string();
        return "must be one of " + list + ", got '" + s + "'";
      },
      list);
}

std::optional<Shape> parse_image_shape(const std::string& text) {
  Shape shape;
  size_t begin = 0;
  while (true) {
    const size_t end = std::min(text.find('x', begin), text.size());
    const std::string part = text.substr(begin, end - begin);
    if (part.empty() || part.size() > 9 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    shape.push_back(std::stoll(part));
    if (shape.back() == 0) return std::nullopt;
    if (end == text.size()) break;
    begin = end + 1;
  }
  if (shape.size() != 3) return std::nullopt;
  return shape;
}

CLI::Validator image_shape() {
  return CLI::Validator(
      [](std::string& value) {
        if (const std::optional<Shape> shape = parse_image_shape(value)) {
          try {
            train::check_image_shape(*shape, "'" + value + "'");
            return std::string();
          } catch (const Error& e) {
            return std::string(e.what());
          }
        }
        std::string message =
            "must be HxWxC (rows x columns x channels, positive whole numbers), e.g. 32x32x3; "
            "got '";
        return message.append(value).append("'");
      },
      "HxWxC");
}

}  // namespace cnn::tool
