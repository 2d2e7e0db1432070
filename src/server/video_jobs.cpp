#include "video_jobs.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

#include "rmbg/video_module.hpp"

namespace fs = std::filesystem;

namespace rmbg::server {
namespace {

using Clock = std::chrono::steady_clock;

// Thrown from the progress callback to stop a job that was removed while it ran.
struct Stopped {};

// 128 random bits in hex: a job's id is all it takes to read its result.
std::string new_job_id() {
  std::random_device random;
  char id[33];
  std::snprintf(id, sizeof id, "%08x%08x%08x%08x", random(), random(), random(), random());
  return id;
}

}  // namespace

std::string_view job_state_name(JobState state) {
  switch (state) {
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::done: return "done";
    case JobState::failed: return "failed";
    case JobState::cancelled: return "cancelled";
  }
  return "unknown";
}

struct VideoJobs::Job {
  JobStatus status;
  VideoCutOptions options;
  const Engine* engine = nullptr;
  fs::path clip;
  fs::path result;
  Clock::time_point started;
  std::optional<Clock::time_point> finished;
  bool stop = false;  // removed while it runs
};

VideoJobs::VideoJobs(const VideoJobsConfig& config) : config_(config) {
  if (config_.folder.empty()) {
    folder_ = fs::temp_directory_path() / ("rmbg-video-jobs-" + new_job_id().substr(0, 12));
    own_folder_ = true;
  } else {
    folder_ = config_.folder;
  }
  fs::create_directories(folder_);
  worker_ = std::jthread([this](std::stop_token stop) { work(stop); });
}

VideoJobs::~VideoJobs() {
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, job] : jobs_) job->stop = true;
  }
  worker_.request_stop();
  wake_.notify_all();
  worker_.join();
  std::error_code ignored;
  for (const auto& [id, job] : jobs_) {
    fs::remove(job->clip, ignored);
    fs::remove(job->result, ignored);
  }
  if (own_folder_) fs::remove_all(folder_, ignored);
}

std::string VideoJobs::submit(std::string_view clip, const VideoCutOptions& options, const Engine& engine) {
  auto job = std::make_shared<Job>();
  job->status.id = new_job_id();
  job->status.format = options.output.format;
  job->options = options;
  job->engine = &engine;
  job->clip = folder_ / (job->status.id + ".clip");
  job->result = folder_ / (job->status.id + "." + std::string(video_format_name(options.output.format)));
  {
    std::lock_guard lock(mutex_);
    forget_expired();
    if (running_or_waiting() >= config_.max_jobs)
      throw Error(ErrorCode::overloaded, "the server already has " + std::to_string(config_.max_jobs) +
                                             " videos to cut out; try again when one is done");
    ++arriving_;
  }
  struct Arrival {  // ends however submit() does
    VideoJobs& jobs;
    ~Arrival() {
      std::lock_guard lock(jobs.mutex_);
      --jobs.arriving_;
    }
  } arrival{*this};
  try {
    std::ofstream out(job->clip, std::ios::binary);
    out.write(clip.data(), static_cast<std::streamsize>(clip.size()));
    if (!out.flush()) throw Error(ErrorCode::io_error, "cannot store the clip in " + folder_.string() + " (is the disk full?)");
    // Refused now rather than minutes later: not a video, too long, too large.
    job->status.total = video_module().read_info(job->clip, options.limits, options.range).frame_count;
  } catch (const Error& e) {
    std::error_code ignored;
    fs::remove(job->clip, ignored);
    // The message names the file the clip was stored in, which means nothing to the client.
    std::string message = e.what();
    if (const auto at = message.find(job->clip.string()); at != std::string::npos)
      message.replace(at, job->clip.string().size(), "the upload");
    throw Error(e.code(), message);
  }
  std::lock_guard lock(mutex_);
  jobs_[job->status.id] = job;
  waiting_.push_back(job);
  wake_.notify_all();
  return job->status.id;
}

int VideoJobs::running_or_waiting() const {
  return arriving_ + static_cast<int>(std::count_if(jobs_.begin(), jobs_.end(), [](const auto& entry) {
    const JobState state = entry.second->status.state;
    return state == JobState::queued || state == JobState::running;
  }));
}

VideoJobs::Job& VideoJobs::find(const std::string& id) const {
  const auto job = jobs_.find(id);
  if (job == jobs_.end())
    throw Error(ErrorCode::not_found, "there is no video job " + id + " (finished jobs are kept " +
                                          std::to_string(config_.keep_results.count()) + " s)");
  return *job->second;
}

JobStatus VideoJobs::status(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const Job& job = find(id);
  JobStatus status = job.status;
  if (status.state == JobState::running) status.seconds = std::chrono::duration<double>(Clock::now() - job.started).count();
  if (status.state == JobState::queued)
    status.place = static_cast<int>(std::find_if(waiting_.begin(), waiting_.end(),
                                                 [&](const auto& waiting) { return waiting->status.id == id; }) -
                                    waiting_.begin());
  return status;
}

fs::path VideoJobs::result(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const Job& job = find(id);
  switch (job.status.state) {
    case JobState::done: return job.result;
    case JobState::failed: throw *job.status.error;
    case JobState::cancelled: throw Error(ErrorCode::not_found, "video job " + id + " was cancelled");
    default: throw Error(ErrorCode::job_unfinished, "video job " + id + " is " +
                                                        std::string(job_state_name(job.status.state)) + "; its result is not ready");
  }
}

void VideoJobs::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  Job& job = find(id);
  job.stop = true;
  // A running job is stopped by its progress callback, which deletes nothing: its writer does.
  std::erase_if(waiting_, [&](const auto& waiting) { return waiting->status.id == id; });
  std::error_code ignored;
  if (job.status.state != JobState::running) {
    fs::remove(job.clip, ignored);
    fs::remove(job.result, ignored);
  }
  jobs_.erase(id);
}

void VideoJobs::forget_expired() {
  const auto now = Clock::now();
  std::error_code ignored;
  std::erase_if(jobs_, [&](const auto& entry) {
    const Job& job = *entry.second;
    if (!job.finished || now - *job.finished < config_.keep_results) return false;
    fs::remove(job.result, ignored);
    return true;
  });
}

void VideoJobs::work(const std::stop_token& stop) {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      // Woken at least once a minute to delete the results kept long enough.
      while (!wake_.wait_for(lock, stop, std::chrono::minutes(1), [&] { return !waiting_.empty(); })) {
        if (stop.stop_requested()) return;
        forget_expired();
      }
      job = waiting_.front();
      waiting_.pop_front();
      job->status.state = JobState::running;
      job->started = Clock::now();
    }
    run(*job);
  }
}

void VideoJobs::run(Job& job) {
  JobState outcome = JobState::done;
  std::optional<Error> error;
  try {
    video_module().cut_video(*job.engine, job.clip, job.result, job.options, [&](const VideoProgress& progress) {
      std::lock_guard lock(mutex_);
      if (job.stop) throw Stopped{};
      job.status.frames = progress.frames;
      if (progress.total > 0) job.status.total = progress.total;
    });
  } catch (const Stopped&) {
    outcome = JobState::cancelled;
  } catch (const Error& e) {
    outcome = JobState::failed;
    error = e;
  } catch (const std::exception& e) {
    outcome = JobState::failed;
    error = Error(ErrorCode::inference_failed, e.what());
  }
  std::error_code ignored;
  fs::remove(job.clip, ignored);
  std::lock_guard lock(mutex_);
  job.status.state = outcome;
  job.status.error = error;
  job.status.seconds = std::chrono::duration<double>(Clock::now() - job.started).count();
  job.finished = Clock::now();
  if (outcome == JobState::done) {
    job.status.total = job.status.frames;
    job.status.result_bytes = fs::file_size(job.result, ignored);
  }
  if (job.stop) fs::remove(job.result, ignored);  // removed while it ran
}

}  // namespace rmbg::server
