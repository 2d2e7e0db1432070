// `rmbg video` as a user runs it, on a small clip the test makes with the ffmpeg command: a
// horse's silhouette (scikit-image's horse.png) filled with cat fur on a grey backdrop, so its
// true alpha is known, at 29.97 frames per second with a 440 Hz tone. Every output format is read back and checked.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "rmbg/files.hpp"
#include "rmbg/video.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using test::sample;
using test::TempDir;
namespace fs = std::filesystem;

constexpr int kWidth = 192, kHeight = 160, kFrames = 12;
constexpr double kFrameSeconds = 1001.0 / 30000;

struct Outcome {
  int status;
  std::string output;  // stdout and stderr together
};

Outcome shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(("{ " + command + "; } 2>&1").c_str(), "r"), ::pclose);
  std::string output;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) output.append(buffer, n);
  const int status = ::pclose(pipe.release());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string in_quotes(const fs::path& path) {
  std::string text = "'";
  text.append(path.string()).append("'");
  return text;
}

// The smallest model input the default model takes keeps the model's runs short.
Outcome rmbg_video(const fs::path& input, const fs::path& output, const std::string& options = "") {
  return shell(std::string(RMBG_BINARY) + " video " + in_quotes(input) + " -o " + in_quotes(output) +
               " --model-side 256 --threads 2 --quiet " + options);
}

// The test clip, made once for all tests.
class VideoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    clip_ = dir_->path() / "horse.mp4";
    init_vips();
    const vips::VImage horse = vips::VImage::new_from_file(sample("horse.png").c_str());
    const vips::VImage outline =  // 255 inside the horse
        (horse.extract_band(0) < 128)
            .resize(static_cast<double>(kWidth) / horse.width(),
                    vips::VImage::option()
                        ->set("vscale", static_cast<double>(kHeight) / horse.height())
                        ->set("kernel", VIPS_KERNEL_NEAREST));
    const vips::VImage fur = vips::VImage::new_from_file(sample("chelsea.png").c_str())
                                 .thumbnail_image(kWidth, vips::VImage::option()
                                                              ->set("height", kHeight)
                                                              ->set("crop", VIPS_INTERESTING_CENTRE));
    const vips::VImage backdrop = vips::VImage::black(kWidth, kHeight, vips::VImage::option()->set("bands", 3)) + 205;
    outline.ifthenelse(fur, backdrop).cast(VIPS_FORMAT_UCHAR).write_to_file((dir_->path() / "horse.png").c_str());
    truth_ = new Matte(to_matte(outline));
    const std::string seconds = std::to_string(kFrames * kFrameSeconds);
    const Outcome made = shell("ffmpeg -v error -y -loop 1 -framerate 30000/1001 -t " + seconds + " -i " +
                               in_quotes(dir_->path() / "horse.png") +
                               " -f lavfi -i sine=frequency=440:sample_rate=44100:duration=" + seconds +
                               " -pix_fmt yuv420p -c:v libx264 -c:a aac " + in_quotes(clip_));
    ASSERT_EQ(made.status, 0) << made.output;
  }
  static void TearDownTestSuite() {
    delete truth_;
    delete dir_;
  }

  // How well `alpha` (0..255 bytes, every `stride`th from `offset`) matches the horse.
  static double match(const std::uint8_t* pixels, int stride, int offset) {
    Matte alpha(kWidth, kHeight);
    for (size_t i = 0; i < alpha.alpha.size(); ++i) alpha.alpha[i] = pixels[i * stride + offset] / 255.0f;
    return test::iou(alpha, *truth_);
  }

  // Each frame's alpha read back matches the horse; the frames keep their times.
  static void expect_alpha_frames(const fs::path& video) {
    VideoReader reader(video);
    EXPECT_TRUE(reader.info().has_alpha) << video;
    int frames = 0;
    while (auto frame = reader.next()) {
      EXPECT_NEAR(frame->seconds, frames * kFrameSeconds, 0.002) << video << " frame " << frames;
      EXPECT_GT(match(frame->rgba.data(), 4, 3), 0.85) << video << " frame " << frames;
      ++frames;
    }
    EXPECT_EQ(frames, kFrames) << video;
  }

  // The sound's codec, and its start and end beside the video's (from the packets' times, which
  // every container has): in sync within a frame.
  static std::string expect_sound_in_sync(const fs::path& video) {
    const Outcome probe = shell("ffprobe -v error -show_entries stream=codec_type,codec_name -of csv=p=0 " +
                                in_quotes(video) + " && ffprobe -v error -show_entries packet=codec_type,pts_time,"
                                "duration_time -of csv=p=0 " + in_quotes(video));
    EXPECT_EQ(probe.status, 0) << probe.output;
    std::istringstream lines(probe.output);
    std::string line, sound_codec;
    std::map<std::string, std::pair<double, double>> span;  // type: first and last time
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string first, second, third;
      std::getline(fields, first, ',');
      std::getline(fields, second, ',');
      std::getline(fields, third, ',');
      if (second == "audio") sound_codec = first;
      if (third.empty() || second == "N/A") continue;  // a stream's line
      // MP4's H.264 packets come back without a length: a frame's.
      const double start = std::stod(second), end = start + (third == "N/A" ? kFrameSeconds : std::stod(third));
      auto [at, fresh] = span.try_emplace(first, start, end);
      at->second = {std::min(at->second.first, start), std::max(at->second.second, end)};
    }
    EXPECT_FALSE(sound_codec.empty()) << probe.output;
    EXPECT_NEAR(span["audio"].first, span["video"].first, kFrameSeconds) << probe.output;
    EXPECT_NEAR(span["audio"].second, span["video"].second, kFrameSeconds) << probe.output;
    EXPECT_NEAR(span["video"].second - span["video"].first, kFrames * kFrameSeconds, kFrameSeconds);
    return sound_codec;
  }

  static std::string frame_rate(const fs::path& video) {
    const Outcome probe = shell("ffprobe -v error -select_streams v -show_entries stream=r_frame_rate -of csv=p=0 " +
                            in_quotes(video));
    return probe.output.substr(0, probe.output.find('\n'));
  }

  static bool leftovers(const fs::path& dir) {
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().string().ends_with(".tmp")) return true;
    return false;
  }

  static TempDir* dir_;
  static fs::path clip_;
  static Matte* truth_;
  TempDir out_;
};

TempDir* VideoTest::dir_ = nullptr;
fs::path VideoTest::clip_;
Matte* VideoTest::truth_ = nullptr;

TEST_F(VideoTest, ProResMovKeepsAlphaTimesAndSound) {
  const fs::path out = out_ / "horse.mov";
  const Outcome run = rmbg_video(clip_, out);
  ASSERT_EQ(run.status, 0) << run.output;
  expect_alpha_frames(out);
  EXPECT_EQ(frame_rate(out), "30000/1001");
  EXPECT_EQ(expect_sound_in_sync(out), "aac");  // copied
  EXPECT_NE(shell("ffprobe -v error -show_streams " + in_quotes(out)).output.find("pix_fmt=yuva444p"), std::string::npos);
}

TEST_F(VideoTest, Vp9WebmKeepsAlphaAndSoundAsOpus) {
  const fs::path out = out_ / "horse.webm";
  const Outcome run = rmbg_video(clip_, out);
  ASSERT_EQ(run.status, 0) << run.output;
  expect_alpha_frames(out);
  EXPECT_EQ(expect_sound_in_sync(out), "opus");  // WebM takes no AAC: encoded again
}

TEST_F(VideoTest, PngSequenceHasEveryFrameAndItsTime) {
  const fs::path out = out_ / "frames";
  const Outcome run = rmbg_video(clip_, out, "--format png");
  ASSERT_EQ(run.status, 0) << run.output;
  std::ifstream times(out / "frames.txt");
  std::string line;
  std::getline(times, line);  // the header
  int frames = 0;
  while (std::getline(times, line)) {
    std::istringstream fields(line);
    std::string name, base;
    long long pts = 0;
    double seconds = 0;
    fields >> name >> base >> pts >> seconds;
    EXPECT_NEAR(seconds, frames * kFrameSeconds, 0.002) << line;
    const vips::VImage png = vips::VImage::new_from_file((out / name).c_str());
    ASSERT_EQ(png.bands(), 4) << name;
    size_t size = 0;
    std::unique_ptr<void, void (*)(void*)> pixels(png.write_to_memory(&size), g_free);
    EXPECT_GT(match(static_cast<const std::uint8_t*>(pixels.get()), 4, 3), 0.85) << name;
    ++frames;
  }
  EXPECT_EQ(frames, kFrames);
}

TEST_F(VideoTest, StickersInWebpAndGifAreSmallerAndTransparent) {
  for (const char* name : {"horse.webp", "horse.gif"}) {
    const fs::path out = out_ / name;
    const Outcome run = rmbg_video(clip_, out, "--max-side 96 --fps 10");
    ASSERT_EQ(run.status, 0) << name << ": " << run.output;
    const vips::VImage pages = vips::VImage::new_from_file(out.c_str(), vips::VImage::option()->set("n", -1));
    EXPECT_EQ(pages.width(), 96) << name;
    EXPECT_EQ(pages.bands(), 4) << name;
    // 0.4 s at 10 frames a second.
    EXPECT_EQ(pages.height() / 80, 4) << name;
    const vips::VImage first = pages.crop(0, 0, 96, 80).extract_band(3);
    EXPECT_LT(first.crop(0, 0, 8, 8).avg(), 10) << name << ": the corner is backdrop";
    EXPECT_GT(first.avg(), 20) << name << ": the horse is there";
  }
}

TEST_F(VideoTest, Mp4OnAColourAndAsAMatte) {
  const fs::path green = out_ / "green.mp4", matte = out_ / "matte.mp4";
  Outcome run = rmbg_video(clip_, green, "--bg '#00ff00'");
  ASSERT_EQ(run.status, 0) << run.output;
  run = rmbg_video(clip_, matte, "--mask");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(expect_sound_in_sync(green), "aac");
  EXPECT_EQ(frame_rate(green), "30000/1001");
  VideoReader on_green(green), grey(matte);
  EXPECT_FALSE(on_green.info().has_alpha);
  int frames = 0;
  while (auto frame = grey.next()) {
    EXPECT_GT(match(frame->rgba.data(), 4, 0), 0.85) << "frame " << frames;
    ++frames;
  }
  EXPECT_EQ(frames, kFrames);
  const auto first = on_green.next();
  const std::uint8_t* corner = first->rgba.data();
  EXPECT_LT(corner[0], 40);
  EXPECT_GT(corner[1], 200);
  EXPECT_LT(corner[2], 40);
}

TEST_F(VideoTest, PartOfTheClipKeepsItsSoundInSync) {
  const fs::path out = out_ / "part.mov";
  const Outcome run = rmbg_video(clip_, out, "--start 0.1 --duration 0.2");
  ASSERT_EQ(run.status, 0) << run.output;
  VideoReader reader(out);
  int frames = 0;
  while (reader.next()) ++frames;
  EXPECT_NEAR(frames, 0.2 / kFrameSeconds, 1);
  const Outcome probe = shell("ffprobe -v error -show_entries stream=codec_type,duration -of csv=p=0 " + in_quotes(out));
  EXPECT_NE(probe.output.find("audio"), std::string::npos) << probe.output;
}

// Upright as FFmpeg's own tools turn it.
TEST_F(VideoTest, PhoneRotationIsApplied) {
  const fs::path turned = out_ / "turned.mp4";
  ASSERT_EQ(shell("ffmpeg -v error -i " + in_quotes(clip_) + " -c copy -metadata:s:v rotate=90 " + in_quotes(turned)).status, 0);
  const fs::path upright = out_ / "upright.rgba";
  ASSERT_EQ(shell("ffmpeg -v error -i " + in_quotes(turned) + " -frames:v 1 -f rawvideo -pix_fmt rgba " +
                  in_quotes(upright)).status, 0);
  VideoReader reader(turned);
  EXPECT_EQ(reader.info().width, kHeight);
  EXPECT_EQ(reader.info().height, kWidth);
  const auto frame = reader.next();
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->width, kHeight);
  const std::string expected = read_file(upright);
  ASSERT_EQ(expected.size(), frame->rgba.size());
  double difference = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    difference += std::abs(static_cast<int>(static_cast<std::uint8_t>(expected[i])) - frame->rgba[i]);
  EXPECT_LT(difference / expected.size(), 3);
}

// The stages without the model: a clip of irregular frame times decoded and encoded again keeps
// each frame's time.
TEST_F(VideoTest, VariableFrameTimesAreKept) {
  const fs::path uneven = out_ / "uneven.mkv";
  ASSERT_EQ(shell("ffmpeg -v error -i " + in_quotes(clip_) +
                  " -vf \"setpts='N*N*100/TB/1000'\" -fps_mode vfr -an -c:v libx264 " + in_quotes(uneven)).status, 0);
  const fs::path copy = out_ / "uneven.mov";
  std::vector<double> times;
  {
    VideoReader reader(uneven);
    VideoWriter writer(copy, {VideoFormat::prores_mov}, reader.info());
    while (auto frame = reader.next()) {
      times.push_back(frame->seconds);
      writer.write(*frame);
    }
    writer.finish();
  }
  ASSERT_EQ(times.size(), static_cast<size_t>(kFrames));
  VideoReader reader(copy);
  for (size_t i = 0; i < times.size(); ++i) {
    if (i >= 2) {
      EXPECT_GT(times[i] - times[i - 1], times[i - 1] - times[i - 2] + 0.15) << "uneven, " << i;
    }
    const auto frame = reader.next();
    ASSERT_TRUE(frame) << i;
    EXPECT_NEAR(frame->seconds, times[i], 0.001) << i;
  }
  EXPECT_FALSE(reader.next());
}

TEST_F(VideoTest, CtrlCLeavesNoPartialFile) {
  const fs::path out = out_ / "stopped.webm";
  // Interrupted as soon as the output's temporary file exists.
  const Outcome run = shell(std::string(RMBG_BINARY) + " video " + in_quotes(clip_) + " -o " + in_quotes(out) +
                            " --model-side 256 --quiet & p=$!; for i in $(seq 600); do ls " + in_quotes(out_.path()) +
                            " | grep -q '[.]tmp$' && break; sleep 0.05; done; kill -INT $p; wait $p; echo status=$?");
  EXPECT_NE(run.output.find("status=130"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("no partial file is left"), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(leftovers(out_.path()));
}

TEST_F(VideoTest, BadInputGetsAClearErrorAndLeavesNothing) {
  const fs::path text = out_ / "notes.mp4";
  write_file_atomic(text, "these are not frames\n");
  Outcome run = rmbg_video(text, out_ / "a.webm");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("is not a video"), std::string::npos) << run.output;

  const std::string bytes = read_file(clip_);
  const fs::path truncated = out_ / "truncated.mp4";
  write_file_atomic(truncated, bytes.substr(0, bytes.size() / 2));
  run = rmbg_video(truncated, out_ / "b.webm");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("damaged or truncated"), std::string::npos) << run.output;

  const fs::path sound_only = out_ / "tone.m4a";
  ASSERT_EQ(shell("ffmpeg -v error -f lavfi -i sine=duration=0.2 -c:a aac " + in_quotes(sound_only)).status, 0);
  run = rmbg_video(sound_only, out_ / "c.webm");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("has no video stream"), std::string::npos) << run.output;

  const fs::path empty = out_ / "empty.avi";
  ASSERT_EQ(shell("ffmpeg -v error -f lavfi -i color=s=64x64 -frames:v 0 -c:v libx264 " + in_quotes(empty)).status, 0);
  run = rmbg_video(empty, out_ / "d.webm");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("has no frame"), std::string::npos) << run.output;

  run = rmbg_video(clip_, out_ / "e.webm", "--max-seconds 0.2");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("over the limit"), std::string::npos) << run.output;
  run = rmbg_video(clip_, out_ / "f.webm", "--max-megapixels 0.01");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("over the limit"), std::string::npos) << run.output;

  run = rmbg_video(clip_, out_ / "g.mp4");
  EXPECT_EQ(run.status, 2) << "an output that cannot hold the cut-out is bad usage";
  EXPECT_NE(run.output.find("has no transparency"), std::string::npos) << run.output;

  for (const char* name : {"a.webm", "b.webm", "c.webm", "d.webm", "e.webm", "f.webm", "g.mp4"})
    EXPECT_FALSE(fs::exists(out_ / name)) << name;
  EXPECT_FALSE(leftovers(out_.path()));
}

// Without librmbg-video.so beside it (or in ../lib/rmbg), rmbg says that video support is not
// installed and where it looked, and cuts out nothing.
TEST_F(VideoTest, WithoutTheVideoModuleAClearError) {
  const fs::path bin = out_ / "bare" / "bin";
  fs::create_directories(bin);
  fs::copy_file(RMBG_BINARY, bin / "rmbg");
  const fs::path out = out_ / "unmade.webm";
  const Outcome run = shell(in_quotes(bin / "rmbg") + " video " + in_quotes(clip_) + " -o " + in_quotes(out));
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("video support is not installed: librmbg-video.so not found (looked in " + bin.string() +
                            " and " + (out_ / "bare" / "lib" / "rmbg").string() + ")"),
            std::string::npos)
      << run.output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(leftovers(out_.path()));
}

// A disk that fills up while the clip is written: a clear error, and nothing left on the disk.
// A small tmpfs stands for the full disk; mounting one needs root, so the test is skipped without.
TEST_F(VideoTest, AFullDiskIsAClearErrorAndLeavesNothing) {
  const fs::path tiny = out_ / "tiny";
  fs::create_directories(tiny);
  if (shell("mount -t tmpfs -o size=64k tmpfs " + in_quotes(tiny)).status != 0)
    GTEST_SKIP() << "cannot mount a 64 KB tmpfs to fill (needs root)";
  const Outcome run = rmbg_video(clip_, tiny / "horse.mov");  // ProRes 4444: far more than 64 KB
  const bool empty = fs::is_empty(tiny);
  shell("umount " + in_quotes(tiny));
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("No space left on device"), std::string::npos) << run.output;
  EXPECT_TRUE(empty) << "neither the output nor its temporary file is left";
}

}  // namespace
}  // namespace rmbg
