// An experiment's result.json: the result (claims, pictures, files) and its measurements.
#pragma once

#include <nlohmann/json.hpp>

#include "cnn/lab/lab.h"

namespace cnn::lab::detail {

nlohmann::json result_to_json(const ExperimentResult& result, const nlohmann::json& measurements);
// Raises cnn::Error naming `source` and the field that is missing or of the wrong type.
ExperimentResult result_from_json(const nlohmann::json& j, const std::string& source);

}  // namespace cnn::lab::detail
