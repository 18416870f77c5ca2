#include "lab/result_json.h"

#include "cnn/error.h"
#include "cnn/lab/lecture.h"

namespace cnn::lab::detail {

using nlohmann::json;

json result_to_json(const ExperimentResult& r, const json& measurements) {
  json claims = json::array();
  for (const Claim& c : r.claims)
    claims.push_back({{"quote_id", c.quote_id},
                      {"quote", lecture_quote(c.quote_id).text},
                      {"held", c.held},
                      {"finding", c.finding}});
  json pictures = json::array();
  for (const Picture& p : r.pictures)
    pictures.push_back({{"file", p.file}, {"caption", p.caption}});
  return {
      {"experiment", r.experiment}, {"title", r.title},           {"command", r.command},
      {"setup", r.setup},           {"claims", claims},           {"notes", r.notes},
      {"pictures", pictures},       {"data_files", r.data_files}, {"measurements", measurements}};
}

ExperimentResult result_from_json(const json& j, const std::string& source) {
  try {
    ExperimentResult r;
    r.experiment = j.at("experiment").get<std::string>();
    r.title = j.at("title").get<std::string>();
    r.command = j.at("command").get<std::string>();
    r.setup = j.at("setup").get<std::string>();
    for (const json& c : j.at("claims"))
      r.claims.push_back({c.at("quote_id").get<std::string>(), c.at("finding").get<std::string>(),
                          c.at("held").get<bool>()});
    r.notes = j.at("notes").get<std::vector<std::string>>();
    for (const json& p : j.at("pictures"))
      r.pictures.push_back({p.at("file").get<std::string>(), p.at("caption").get<std::string>()});
    r.data_files = j.at("data_files").get<std::vector<std::string>>();
    return r;
  } catch (const json::exception& e) {
    fail(source, ": not a lab result (", e.what(), ")");
  }
}

}  // namespace cnn::lab::detail
