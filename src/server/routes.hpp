#pragma once
// The families of routes, one file each; serve() adds them all to one Service.
#include "service.hpp"
#include "video_jobs.hpp"

namespace rmbg::server {

void add_page_routes(Service& service);     // the web page and the API description (page_routes.cpp)
void add_cutout_routes(Service& service);   // POST /remove-bg, POST /api/preview (cutout_routes.cpp)
void add_idphoto_routes(Service& service);  // /api/idphoto and its size table (idphoto_routes.cpp)
void add_status_routes(Service& service);   // health, system use, metrics (status_routes.cpp)
void add_removebg_routes(Service& service);  // remove.bg's /v1.0/removebg and /v1.0/account (removebg_routes.cpp)
void add_rembg_routes(Service& service);     // rembg's /api/remove (rembg_routes.cpp)
// POST /api/video and /api/jobs/{id}, its result and its removal (video_routes.cpp)
void add_video_routes(Service& service, VideoJobs& jobs);

}  // namespace rmbg::server
