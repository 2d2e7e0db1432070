#pragma once
// A zip archive of a few files, stored without compression: what remove.bg's format=zip answers
// (color.jpg and alpha.png), whose parts are compressed images already.
#include <string>
#include <utility>
#include <vector>

namespace rmbg::server {

// `files` as (name, bytes); names are ASCII. Each file must be under 4 GiB.
std::string zip_archive(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace rmbg::server
