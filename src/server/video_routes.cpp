// Video as jobs: POST /api/video queues a clip and answers 202 with the job; GET /api/jobs/{id}
// says how far it is, GET /api/jobs/{id}/result sends the finished file, DELETE /api/jobs/{id}
// stops it or deletes its result.
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "form_fields.hpp"
#include "routes.hpp"

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

// The form's options as the command line's: format, bg, mask, start, duration, max_side, fps, temporal.
VideoCutOptions video_options(const httplib::MultipartFormDataMap& form, const ServerConfig& config) {
  VideoCutOptions options;
  const auto field = [&](const char* name) -> const std::string* {
    const auto found = form.find(name);
    return found == form.end() ? nullptr : &found->second.content;
  };
  if (const std::string* format = field("format")) {
    options.output.format = parse_video_format(*format);
    if (options.output.format == VideoFormat::png_sequence)
      throw Error(ErrorCode::invalid_argument, "format png writes a folder of frames: use `rmbg video` for it");
  }
  if (const std::string* colour = field("bg")) options.background.colour = parse_colour(*colour);
  if (const std::string* mask = field("mask")) options.mask = parse_boolean(*mask);
  if (options.output.format == VideoFormat::h264_mp4 && !options.mask && !options.background.colour)
    throw Error(ErrorCode::invalid_argument, "mp4 has no transparency: give a background colour (bg) or mask=true");
  const auto non_negative = [&](const char* name) {
    const std::string* text = field(name);
    const double value = text ? parse_number(*text) : 0;
    if (value < 0) throw Error(ErrorCode::invalid_argument, std::string(name) + " cannot be negative");
    return value;
  };
  options.range = {non_negative("start"), non_negative("duration")};
  if (const std::string* side = field("max_side")) options.output.max_side = parse_int(*side);
  if (options.output.max_side != 0 && (options.output.max_side < 2 || options.output.max_side > 16384))
    throw Error(ErrorCode::invalid_argument, "max_side must be between 2 and 16384");
  options.output.frame_rate = non_negative("fps");
  if (options.output.frame_rate > 240) throw Error(ErrorCode::invalid_argument, "fps must be at most 240");
  if (const std::string* temporal = field("temporal")) options.temporal_filter = parse_boolean(*temporal);
  options.limits = {config.video_max_seconds, config.limits.max_pixels};
  // As the command line: the frame's own colours under the alpha (estimating the subject's costs
  // seconds a frame).
  options.cut = {config.preset, false, std::nullopt};
  return options;
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
    const std::string_view clip = form_file(form, "video", {"video", "format", "bg", "mask", "start", "duration",
                                                            "max_side", "fps", "temporal"});
    VideoCutOptions options = video_options(form, service.config());
    options.run_cut = [&service](const std::function<void()>& cut) { service.run_video_frame(cut); };
    const std::string id = jobs.submit(clip, options, engine);
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
