// Video as jobs: POST /api/video queues a clip and answers 202 with the job; GET /api/jobs/{id}
// says how far it is, GET /api/jobs/{id}/result sends the finished file, DELETE /api/jobs/{id}
// stops it or deletes its result.
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "routes.hpp"
#include "video_request.hpp"

namespace rmbg::server {
namespace {

using nlohmann::json;

std::string_view media_type_of(VideoFormat format) {
  switch (format) {
    case VideoFormat::prores_mov: return "video/quicktime";
    case VideoFormat::vp9_webm: return "video/webm";
    case VideoFormat::webp: return "image/webp";
    case VideoFormat::gif: return "image/gif";
    case VideoFormat::h264_mp4: return "video/mp4";
    case VideoFormat::png_sequence: break;
  }
  return "application/octet-stream";
}

json status_json(const JobStatus& status) {
  json body{{"id", status.id},
            {"status", job_state_name(status.state)},
            {"format", video_format_name(status.format)},
            {"frames", status.frames},
            {"total_frames", status.total},
            {"seconds", status.seconds}};
  if (status.state == JobState::queued) body["place"] = status.place;
  if (status.state == JobState::running && status.frames > 0 && status.seconds > 0) {
    const double fps = status.frames / status.seconds;
    body["fps"] = fps;
    if (status.total > status.frames) body["eta_seconds"] = (status.total - status.frames) / fps;
  }
  if (status.error) body["error"] = {{"code", code_name(status.error->code())}, {"message", status.error->what()}};
  if (status.state == JobState::done) {
    body["result"] = "jobs/" + status.id + "/result";
    body["result_bytes"] = status.result_bytes;
  }
  return body;
}

// Sends the file in pieces as the client reads it, rather than all of it from memory.
void send_file(httplib::Response& response, const std::filesystem::path& path, std::string_view type) {
  auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
  if (!*file) throw Error(ErrorCode::io_error, "cannot read the result " + path.filename().string());
  const auto size = std::filesystem::file_size(path);
  response.set_content_provider(size, std::string(type), [file](size_t offset, size_t length, httplib::DataSink& sink) {
    std::vector<char> piece(std::min<size_t>(length, 1 << 16));
    file->seekg(static_cast<std::streamoff>(offset));
    file->read(piece.data(), static_cast<std::streamsize>(piece.size()));
    return file->gcount() > 0 && sink.write(piece.data(), static_cast<size_t>(file->gcount()));
  });
}

}  // namespace

void add_video_routes(Service& service, VideoJobs& jobs) {
  service.route("POST", "/api/video", [&service, &jobs](const auto& request, auto& response) {
    const Engine& engine = service.engine();  // a loading model is said before the upload is parsed
    const httplib::MultipartFormDataMap form = Service::form_of(request);
    VideoRequest video = parse_video_request(form, service.config());
    video.options.run_cut = [&service](const std::function<void()>& cut) { service.run_video_frame(cut); };
    const std::string id = jobs.submit(video.clip, video.options, engine);
    response.status = 202;
    response.set_header("Location", "jobs/" + id);
    response.set_content(status_json(jobs.status(id)).dump(), "application/json");
  });
  service.route("GET", "/api/jobs/{id}", [&jobs](const auto& request, auto& response) {
    response.set_content(status_json(jobs.status(request.matches[1])).dump(), "application/json");
  });
  service.route("DELETE", "/api/jobs/{id}", [&jobs](const auto& request, auto& response) {
    jobs.remove(request.matches[1]);
    response.status = 204;
  });
  service.route("GET", "/api/jobs/{id}/result", [&jobs](const auto& request, auto& response) {
    const std::string id = request.matches[1];
    const JobStatus status = jobs.status(id);
    send_file(response, jobs.result(id), media_type_of(status.format));
    response.set_header("Content-Disposition",
                        "attachment; filename=\"cutout." + std::string(video_format_name(status.format)) + "\"");
  });
}

}  // namespace rmbg::server
