#include "options.h"

#include <algorithm>
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
        return parse_number(s, v) && v > 0 ? std::string()
                                           : "must be a positive number, got '" + s + "'";
      },
      "POSITIVE");
}

CLI::Validator non_negative() {
  return CLI::Validator(
      [](std::string& s) {
        double v = 0;
        return parse_number(s, v) && v >= 0 ? std::string()
                                            : "must be zero or positive, got '" + s + "'";
      },
      "NON-NEGATIVE");
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
        if (parse_image_shape(value)) return std::string();
        std::string message =
            "must be HxWxC (rows x columns x channels, positive whole numbers), e.g. 32x32x3; "
            "got '";
        return message.append(value).append("'");
      },
      "HxWxC");
}

}  // namespace cnn::tool
