// The case lists of tests/cases/<family>.json, which the kernel tests, the golden-data scripts
// and `cnn bench` share (docs/ARCHITECTURE.md, "Case lists"). A test asks for the cases whose
// "use" names it, in file order.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "cnn/shape.h"

#ifndef CNN_SOURCE_DIR
#error "CNN_SOURCE_DIR (the source tree, which holds tests/cases) is set by tests/CMakeLists.txt"
#endif

namespace cnn::testing {

inline std::string cases_path(const std::string& family) {
  return std::string(CNN_SOURCE_DIR) + "/tests/cases/" + family + ".json";
}

// The whole file of `family`; throws (failing the test) when it is missing or malformed.
inline const nlohmann::json& case_file(const std::string& family) {
  static std::map<std::string, nlohmann::json> loaded;
  auto it = loaded.find(family);
  if (it == loaded.end()) {
    std::ifstream in(cases_path(family));
    if (!in) throw std::runtime_error("cannot open " + cases_path(family));
    it = loaded.emplace(family, nlohmann::json::parse(in)).first;
  }
  return it->second;
}

// A case with "grid": [[field, [values...]], ...] stands for every combination of the values,
// the first axis outermost; an object value sets each of its fields.
inline void expand_grid(const nlohmann::json& c, size_t axis, nlohmann::json current,
                        std::vector<nlohmann::json>& out) {
  const nlohmann::json& grid = c.at("grid");
  if (axis == grid.size()) {
    current.erase("grid");
    out.push_back(std::move(current));
    return;
  }
  const std::string field = grid.at(axis).at(0).get<std::string>();
  for (const nlohmann::json& value : grid.at(axis).at(1)) {
    nlohmann::json next = current;
    if (value.is_object()) {
      for (auto it = value.begin(); it != value.end(); ++it) next[it.key()] = it.value();
    } else {
      next[field] = value;
    }
    expand_grid(c, axis + 1, std::move(next), out);
  }
}

// The cases of `family` that list `use` in their "use" array, in file order, grids expanded.
// None is an error: a misspelled tag must not make a test pass by checking nothing.
inline std::vector<nlohmann::json> cases_for(const std::string& family, const std::string& use) {
  std::vector<nlohmann::json> selected;
  for (const nlohmann::json& c : case_file(family).at("cases"))
    for (const nlohmann::json& u : c.at("use"))
      if (u.get<std::string>() == use) {
        if (c.contains("grid")) {
          expand_grid(c, 0, c, selected);
        } else {
          selected.push_back(c);
        }
      }
  if (selected.empty()) throw std::runtime_error(cases_path(family) + " has no case for " + use);
  return selected;
}

// A field of a case, or `fallback` when the case leaves it out.
template <class T>
T field(const nlohmann::json& c, const char* name, const T& fallback) {
  return c.contains(name) ? c.at(name).get<T>() : fallback;
}

inline Shape shape_field(const nlohmann::json& c, const char* name) {
  return c.at(name).get<std::vector<int64_t>>();
}

// [rows, cols]; absent: `fallback` on both axes.
inline Size2 size2_field(const nlohmann::json& c, const char* name, int64_t fallback) {
  if (!c.contains(name)) return Size2(fallback);
  const nlohmann::json& v = c.at(name);
  return {v.at(0).get<int64_t>(), v.at(1).get<int64_t>()};
}

// [top, bottom, left, right]; absent: no padding.
inline Pad2d pad2d_field(const nlohmann::json& c, const char* name) {
  if (!c.contains(name)) return Pad2d(0);
  const nlohmann::json& v = c.at(name);
  return {v.at(0).get<int64_t>(), v.at(1).get<int64_t>(), v.at(2).get<int64_t>(),
          v.at(3).get<int64_t>()};
}

}  // namespace cnn::testing
