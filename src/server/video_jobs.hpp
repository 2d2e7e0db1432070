#pragma once
// Video cut-outs as jobs: a clip is uploaded, cut out in the background, one clip at a time (its
// frames through VideoCutOptions::run_cut, which the server points at its queue), and its result
// fetched when done. Clips and results live in a folder of the jobs' own, deleted with
// them; a finished job is forgotten (its result deleted) a while after it finished.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "rmbg/error.hpp"
#include "rmbg/video.hpp"

namespace rmbg::server {

struct VideoJobsConfig {
  int max_jobs = 4;                         // waiting or running at once; more are refused (503)
  std::chrono::seconds keep_results{3600};  // how long a finished job's result is kept
  std::filesystem::path folder;             // where clips and results are written; empty: a temporary folder
};

enum class JobState { queued, running, done, failed, cancelled };
std::string_view job_state_name(JobState state);

struct JobStatus {
  std::string id;
  JobState state = JobState::queued;
  VideoFormat format = VideoFormat::vp9_webm;
  std::int64_t frames = 0;  // done so far
  std::int64_t total = 0;   // expected; 0 when the clip does not say
  double seconds = 0;       // spent cutting out so far (or in all, once finished)
  int place = 0;            // jobs ahead of a queued one
  std::optional<Error> error;  // why it failed
  std::uint64_t result_bytes = 0;
};

class VideoJobs {
 public:
  explicit VideoJobs(const VideoJobsConfig& config);
  ~VideoJobs();  // stops the job in progress and deletes every clip and result
  VideoJobs(const VideoJobs&) = delete;
  VideoJobs& operator=(const VideoJobs&) = delete;

  // Stores `clip`, checks that it can be read within `options.limits` (throwing the Error that
  // VideoReader throws when it cannot, or video_module()'s when video support is missing), and
  // queues it for `engine`; returns its id. Throws Error(overloaded) when max_jobs jobs are
  // already waiting or running.
  std::string submit(std::string_view clip, const VideoCutOptions& options, const Engine& engine);
  JobStatus status(const std::string& id) const;  // throws Error(not_found)
  // The finished job's file; throws Error(not_found), or Error(job_unfinished) before it is done.
  std::filesystem::path result(const std::string& id) const;
  // Stops the job if it runs, deletes its files and forgets it; throws Error(not_found).
  void remove(const std::string& id);

 private:
  struct Job;
  void work(const std::stop_token& stop);
  void run(Job& job);
  void forget_expired();  // with mutex_ held
  int running_or_waiting() const;  // with mutex_ held; the clips being checked included
  Job& find(const std::string& id) const;  // with mutex_ held; throws Error(not_found)

  VideoJobsConfig config_;
  std::filesystem::path folder_;
  bool own_folder_ = false;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
  std::deque<std::shared_ptr<Job>> waiting_;
  int arriving_ = 0;  // clips being stored and checked: they count against max_jobs
  std::jthread worker_;
};

}  // namespace rmbg::server
