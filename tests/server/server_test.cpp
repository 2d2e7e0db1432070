// `rmbg serve` run as a user runs it, on loopback, with the real model: the API, its errors, the
// queue, metrics, timeouts and shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "rmbg/files.hpp"
#include "rmbg/image.hpp"
#include "rmbg/video.hpp"
#include "server_process.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using nlohmann::json;
using test::sample;
using test::ServerProcess;
using test::TempDir;
using Clock = std::chrono::steady_clock;
using Fields = std::vector<std::pair<std::string, std::string>>;
namespace fs = std::filesystem;

// The multipart form of POST /remove-bg: the photograph as `image`, then the option fields.
httplib::MultipartFormDataItems form(const std::string& image, const Fields& fields = {},
                                     const std::string& filename = "photo.jpg") {
  httplib::MultipartFormDataItems items{{"image", image, filename, "application/octet-stream"}};
  for (const auto& [name, value] : fields) items.push_back({name, value, "", ""});
  return items;
}

httplib::Result post(const ServerProcess& server, const std::string& image, const Fields& fields = {}) {
  return server.client().Post("/remove-bg", form(image, fields));
}

std::string rocket() { return read_file(sample("rocket.jpg")); }  // 640x427

vips::VImage decoded(const std::string& bytes) {
  init_vips();
  return vips::VImage::new_from_buffer(bytes.data(), bytes.size(), "").copy_memory();
}

// A JPEG whose header says 60000x60000 while its data is a few hundred bytes.
std::string jpeg_claiming_60000_square() {
  std::string jpeg = test::to_bytes(vips::VImage::black(16, 16).cast(VIPS_FORMAT_UCHAR), ".jpg");
  const auto frame = jpeg.find("\xff\xc0");  // start of frame: length(2) precision(1) height(2) width(2)
  EXPECT_NE(frame, std::string::npos);
  for (const size_t at : {frame + 5, frame + 7}) jpeg[at] = static_cast<char>(0xea), jpeg[at + 1] = 0x60;
  return jpeg;
}

void expect_json_error(const httplib::Result& response, int status, const std::string& code,
                       const std::string& message_part, const std::string& what) {
  ASSERT_TRUE(response) << what;
  EXPECT_EQ(response->status, status) << what << ": " << response->body;
  EXPECT_EQ(response->get_header_value("Content-Type"), "application/json") << what;
  const json body = json::parse(response->body, nullptr, false);
  ASSERT_TRUE(body.contains("error")) << what << ": " << response->body;
  EXPECT_EQ(body["error"]["code"], code) << what;
  const std::string message = body["error"]["message"];
  EXPECT_NE(message.find(message_part), std::string::npos) << what << ": " << message;
}

// One sample of a metric from the Prometheus text: `name{labels} value`; 0 when absent.
double metric(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size() + 2));
}

TEST(Server, AnswersTheReadmeRequestWithAnRgbaPngKeepingExif) {
  ServerProcess server;
  vips::VImage photo = decoded(rocket()).copy();
  photo.set("exif-ifd0-Make", "TestCam");
  photo.set("exif-ifd2-DateTimeOriginal", "2026:11:26 10:00:00");
  const auto response = post(server, test::to_bytes(photo, ".jpg"));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->get_header_value("Content-Type"), "image/png");
  const vips::VImage out = decoded(response->body);
  EXPECT_EQ(out.width(), 640);
  EXPECT_EQ(out.height(), 427);
  EXPECT_EQ(out.bands(), 4);
  EXPECT_EQ(out.format(), VIPS_FORMAT_UCHAR);
  EXPECT_EQ(out.extract_band(3).min(), 0);
  EXPECT_EQ(out.extract_band(3).max(), 255);
  ASSERT_NE(out.get_typeof("exif-ifd0-Make"), 0u);
  EXPECT_EQ(std::string(out.get_string("exif-ifd0-Make")).rfind("TestCam", 0), 0u);
  EXPECT_EQ(std::string(out.get_string("exif-ifd2-DateTimeOriginal")).rfind("2026:11:26 10:00:00", 0), 0u);
}

TEST(Server, EveryOptionShapesTheOutput) {
  ServerProcess server;
  const std::string rocket_photo = rocket();
  const std::string coffee_photo = read_file(sample("coffee.png"));  // 600x400, a cup in the middle
  std::map<std::string, std::string> outputs;
  struct Case {
    std::string name;
    const std::string& photo;
    Fields fields;
    std::string media_type;
    int bands;
    VipsBandFormat format;
  };
  const std::vector<Case> cases{
      {"webp", rocket_photo, {{"format", "webp"}}, "image/webp", 4, VIPS_FORMAT_UCHAR},
      {"jpeg on blue", rocket_photo, {{"format", "jpeg"}, {"bg", "#438edb"}, {"quality", "95"}}, "image/jpeg", 3,
       VIPS_FORMAT_UCHAR},
      {"jpeg on blue, low quality", rocket_photo, {{"format", "jpeg"}, {"bg", "#438edb"}, {"quality", "20"}},
       "image/jpeg", 3, VIPS_FORMAT_UCHAR},
      {"mask of the named model", rocket_photo, {{"type", "mask"}, {"model", "isnet-qdq"}}, "image/png", 1,
       VIPS_FORMAT_UCHAR},
      {"16-bit", rocket_photo, {{"depth", "16"}}, "image/png", 4, VIPS_FORMAT_USHORT},
      {"cropped tight", coffee_photo, {{"crop", ""}}, "image/png", 4, VIPS_FORMAT_UCHAR},
      {"cropped with a margin", coffee_photo, {{"crop", "40"}}, "image/png", 4, VIPS_FORMAT_UCHAR},
      {"fast preset", coffee_photo, {{"preset", "fast"}}, "image/png", 4, VIPS_FORMAT_UCHAR},
  };
  for (const auto& c : cases) {
    const auto response = post(server, c.photo, c.fields);
    ASSERT_TRUE(response) << c.name;
    ASSERT_EQ(response->status, 200) << c.name << ": " << response->body;
    EXPECT_EQ(response->get_header_value("Content-Type"), c.media_type) << c.name;
    const vips::VImage out = decoded(response->body);
    EXPECT_EQ(out.bands(), c.bands) << c.name;
    EXPECT_EQ(out.format(), c.format) << c.name;
    outputs[c.name] = response->body;
  }

  const vips::VImage mask = decoded(outputs["mask of the named model"]);
  EXPECT_EQ(mask.width(), 640);
  EXPECT_EQ(mask.min(), 0);
  EXPECT_EQ(mask.max(), 255);
  // Where the mask says background, the JPEG shows the colour asked for.
  int x = 0, y = 0;
  mask.min(vips::VImage::option()->set("x", &x)->set("y", &y));
  const std::vector<double> pixel = decoded(outputs["jpeg on blue"]).getpoint(x, y);
  EXPECT_NEAR(pixel[0], 0x43, 12);
  EXPECT_NEAR(pixel[1], 0x8e, 12);
  EXPECT_NEAR(pixel[2], 0xdb, 12);
  EXPECT_LT(outputs["jpeg on blue, low quality"].size(), outputs["jpeg on blue"].size());
  EXPECT_EQ(decoded(outputs["16-bit"]).extract_band(3).max(), 65535);

  const vips::VImage tight = decoded(outputs["cropped tight"]);
  const vips::VImage margin = decoded(outputs["cropped with a margin"]);
  EXPECT_LT(tight.width() * tight.height(), 600 * 400);
  EXPECT_GT(margin.width() * margin.height(), tight.width() * tight.height());
  EXPECT_LE(margin.width(), 600);
  EXPECT_LE(margin.height(), 400);

  // The fast preset keeps the photograph's own colours (no foreground colour estimation).
  const vips::VImage fast = decoded(outputs["fast preset"]);
  const vips::VImage visible = fast.extract_band(3) > 0;
  const vips::VImage difference = (fast.extract_band(0, vips::VImage::option()->set("n", 3)) - decoded(coffee_photo)).abs();
  EXPECT_EQ((visible.ifthenelse(difference, 0)).max(), 0);
}

TEST(Server, MistakesGetTheRightStatusAndTheServerStaysUp) {
  ServerProcess server;
  const std::string photo = rocket();
  struct Case {
    std::string what;
    Fields fields;
    std::string message_part;
  };
  for (const auto& c : std::vector<Case>{
           {"unknown format", {{"format", "bmp"}}, "field 'format'"},
           {"unknown type", {{"type", "cutout"}}, "field 'type'"},
           {"depth 12", {{"depth", "12"}}, "depth must be 8 or 16"},
           {"colour by an unknown name", {{"bg", "skyblue"}}, "'skyblue' is not a colour"},
           {"negative crop", {{"crop", "-1"}}, "crop margin cannot be negative"},
           {"crop that is no number", {{"crop", "wide"}}, "field 'crop'"},
           {"quality 0", {{"quality", "0"}}, "quality must be between 1 and 100"},
           {"unknown preset", {{"preset", "slow"}}, "'slow' is not a preset"},
           {"a model this server does not run", {{"model", "nope"}}, "runs the model 'isnet-qdq'"},
           {"16-bit JPEG", {{"depth", "16"}, {"format", "jpeg"}}, "16-bit output needs PNG"},
           {"a mask on a colour", {{"type", "mask"}, {"bg", "white"}}, "a mask has no background"},
           {"an unknown field", {{"size", "auto"}}, "unknown field 'size'"},
           {"two images", {{"image", photo}}, "more than once"},
           {"a field of 100,000 characters", {{"bg", std::string(100'000, 'f')}}, "too long (100000 characters"},
           {"a number too large for an int", {{"quality", "99999999999999999999"}}, "out of range"},
       })
    expect_json_error(post(server, photo, c.fields), 400, "invalid_argument", c.message_part, c.what);

  auto http = server.client();
  expect_json_error(http.Post("/remove-bg", "{\"image\": 1}", "application/json"), 400, "invalid_argument",
                    "no image", "not a multipart form");
  expect_json_error(http.Post("/remove-bg", httplib::MultipartFormDataItems{{"format", "png", "", ""}}), 400,
                    "invalid_argument", "no image", "a form without the image");
  expect_json_error(post(server, ""), 400, "invalid_argument", "empty", "an empty file");
  expect_json_error(http.Post("/remove-bg", "--x\r\nbroken", "multipart/form-data"), 400, "invalid_argument",
                    "malformed", "a multipart body without a boundary");
  expect_json_error(post(server, "this is text, not a picture\n"), 415, "unsupported_format",
                    "not a supported image", "a text file named .png");
  expect_json_error(post(server, photo.substr(0, photo.size() / 3)), 422, "corrupt_image", "damaged or truncated",
                    "a truncated JPEG");
  expect_json_error(post(server, jpeg_claiming_60000_square()), 422, "image_too_large", "60000x60000",
                    "a 60000x60000 header");
  expect_json_error(http.Get("/no-such-page"), 404, "not_found", "/no-such-page", "an unknown page");

  // A client that hangs up before its answer is written does not take the server down either.
  {
    httplib::Client impatient("127.0.0.1", server.port());
    impatient.set_read_timeout(std::chrono::milliseconds(300));
    EXPECT_FALSE(impatient.Post("/remove-bg", form(photo)));
  }
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline &&
         json::parse(http.Get("/api/system")->body)["queue"]["running"].get<int>() > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));

  ASSERT_FALSE(server.has_exited()) << server.log();
  const auto after = post(server, photo);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(decoded(after->body).bands(), 4);
}

TEST(Server, AnUploadOverTheLimitGets413) {
  ServerProcess server({"--max-upload-mb", "1"});
  const std::string big(1'500'000, 'x');
  expect_json_error(post(server, big), 413, "upload_too_large", "limit of 1 MB", "a 1.5 MB upload");
  expect_json_error(post(server, "small, and still no picture"), 415, "unsupported_format", "not a supported",
                    "a small upload after the big one");
}

TEST(Server, ConcurrentRequestsAreEachAnsweredWithTheirOwnImage) {
  ServerProcess server;
  struct Upload {
    std::string file;
    int width, height;
  };
  const std::vector<Upload> uploads{{"rocket.jpg", 640, 427}, {"coffee.png", 600, 400}, {"chelsea.png", 451, 300}};
  std::atomic<int> most_waiting{0};
  std::jthread watcher([&](const std::stop_token& stop) {  // stopped and joined however the test ends
    auto http = server.client();
    while (!stop.stop_requested()) {
      if (const auto system = http.Get("/api/system"))
        most_waiting = std::max(most_waiting.load(), json::parse(system->body)["queue"]["waiting"].get<int>());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::vector<std::future<httplib::Result>> answers;
  for (const auto& upload : uploads)
    answers.push_back(std::async(std::launch::async, [&server, file = upload.file] {
      return post(server, read_file(sample(file)));
    }));
  for (size_t i = 0; i < uploads.size(); ++i) {
    const auto response = answers[i].get();
    ASSERT_TRUE(response) << uploads[i].file;
    ASSERT_EQ(response->status, 200) << uploads[i].file << ": " << response->body;
    const vips::VImage out = decoded(response->body);
    EXPECT_EQ(out.width(), uploads[i].width) << uploads[i].file;
    EXPECT_EQ(out.height(), uploads[i].height) << uploads[i].file;
  }
  watcher.request_stop();
  watcher.join();
  EXPECT_GE(most_waiting, 1) << "one inference at a time: the others wait in the queue";
}

TEST(Server, AFullQueueGets503WithRetryAfterAtOnce) {
  ServerProcess server({"--concurrency", "1", "--queue", "1"});
  const std::string photo = rocket();
  const auto sent = Clock::now();
  std::vector<std::future<std::pair<httplib::Result, double>>> answers;
  for (int i = 0; i < 4; ++i)
    answers.push_back(std::async(std::launch::async, [&] {
      auto response = post(server, photo);
      return std::pair{std::move(response), std::chrono::duration<double>(Clock::now() - sent).count()};
    }));
  int ok = 0, busy = 0;
  for (auto& answer : answers) {
    const auto [response, seconds] = answer.get();
    ASSERT_TRUE(response);
    if (response->status == 200) {
      ++ok;
      continue;
    }
    ++busy;
    expect_json_error(response, 503, "overloaded", "every place in its queue is taken", "a request beyond the queue");
    EXPECT_GE(std::stoi(response->get_header_value("Retry-After")), 1);
    EXPECT_LT(seconds, 1.5) << "a full queue answers at once, not when a slot frees up";
  }
  EXPECT_EQ(ok, 2) << "one running and one waiting";
  EXPECT_EQ(busy, 2);
}

TEST(Server, ARequestThatWaitsLongerThanTheRequestTimeoutGets503) {
  ServerProcess server({"--request-timeout", "1"});
  // The first request holds the only slot for seconds: a 24-megapixel photograph.
  const std::string large = test::to_bytes(decoded(rocket()).resize(9.4), ".jpg");
  const std::string photo = rocket();
  auto first = std::async(std::launch::async, [&] { return post(server, large); });
  auto http = server.client();
  while (json::parse(http.Get("/api/system")->body)["queue"]["running"].get<int>() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto started = Clock::now();
  const auto second = post(server, photo);
  expect_json_error(second, 503, "overloaded", "no inference slot became free in time", "a request left waiting");
  EXPECT_TRUE(second->has_header("Retry-After"));
  EXPECT_NEAR(std::chrono::duration<double>(Clock::now() - started).count(), 1.0, 0.5);
  EXPECT_EQ(first.get()->status, 200);
}

TEST(Server, MetricsFollowTheRequests) {
  ServerProcess server({"--queue", "5"});
  auto http = server.client();
  const std::string before = http.Get("/metrics")->body;
  ASSERT_EQ(post(server, "not a picture")->status, 415);
  ASSERT_EQ(post(server, rocket())->status, 200);
  ASSERT_EQ(http.Get("/no-such-page")->status, 404);
  const auto scraped = http.Get("/metrics");
  EXPECT_EQ(scraped->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  const std::string& after = scraped->body;

  const auto grew = [&](const std::string& series) { return metric(after, series) - metric(before, series); };
  EXPECT_EQ(grew("rmbg_http_requests_total{route=\"/remove-bg\",status=\"200\"}"), 1) << after;
  EXPECT_EQ(grew("rmbg_http_requests_total{route=\"/remove-bg\",status=\"415\"}"), 1) << after;
  EXPECT_EQ(grew("rmbg_http_requests_total{route=\"other\",status=\"404\"}"), 1) << after;
  EXPECT_EQ(grew("rmbg_http_request_duration_seconds_count{route=\"/remove-bg\"}"), 2) << after;
  EXPECT_EQ(grew("rmbg_http_request_duration_seconds_bucket{route=\"/remove-bg\",le=\"+Inf\"}"), 2) << after;
  EXPECT_GT(grew("rmbg_http_request_duration_seconds_sum{route=\"/remove-bg\"}"), 0.1) << after;
  EXPECT_EQ(grew("rmbg_inference_seconds_count"), 1) << after;
  EXPECT_GT(metric(after, "rmbg_inference_seconds_sum"), 0.1) << after;
  EXPECT_EQ(metric(after, "rmbg_queue_capacity"), 5) << after;
  EXPECT_EQ(metric(after, "rmbg_model_ready"), 1) << after;
  EXPECT_NE(after.find("# TYPE rmbg_queue_waiting gauge\nrmbg_queue_waiting 0\n"), std::string::npos) << after;
  EXPECT_NE(after.find("# TYPE rmbg_inferences_running gauge\nrmbg_inferences_running 0\n"), std::string::npos);
}

TEST(Server, HealthIsNotReadyUntilTheModelIsLoaded) {
  ServerProcess server({}, false);
  auto http = server.client();
  http.set_connection_timeout(std::chrono::milliseconds(200));
  int loading_answers = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    const auto health = http.Get("/api/health");
    if (!health) continue;  // not listening yet
    const json body = json::parse(health->body);
    EXPECT_EQ(body["model"], "isnet-qdq");
    if (health->status == 200) {
      EXPECT_EQ(body["status"], "ready");
      break;
    }
    EXPECT_EQ(health->status, 503);
    EXPECT_EQ(body["status"], "loading");
    if (loading_answers++ == 0) {
      const json system = json::parse(http.Get("/api/system")->body);
      if (!system["model"]["ready"]) {  // where the model will run is not known before it loads
        EXPECT_TRUE(system["model"]["execution_provider"].is_null()) << system;
      }
      const auto early = post(server, rocket());
      if (early->status != 200) {  // the model may have finished loading in between
        expect_json_error(early, 503, "not_ready", "still loading", "a request before the model is loaded");
        EXPECT_TRUE(early->has_header("Retry-After"));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(loading_answers, 0) << "the server listens before the model is loaded";
}

TEST(Server, DescribesItselfAndServesThePageFromTheBinary) {
  // Run from an empty folder: nothing the server sends may come from files beside it.
  TempDir elsewhere;
  const auto previous = fs::current_path();
  fs::current_path(elsewhere.path());
  // No GPU here: CUDA asked for must be a fall back to the CPU, said in the log and the API.
  ServerProcess server({"--max-upload-mb", "7", "--queue", "3", "--device", "cuda"});
  fs::current_path(previous);
  auto http = server.client();

  const json health = json::parse(http.Get("/api/health")->body);
  EXPECT_EQ(health["status"], "ready");

  const json system = json::parse(http.Get("/api/system")->body);
  EXPECT_GE(system["cpu"]["cores"].get<int>(), 1);
  for (const char* figure : {"machine_percent", "process_percent"}) {
    EXPECT_GE(system["cpu"][figure].get<double>(), 0) << figure;
    EXPECT_LE(system["cpu"][figure].get<double>(), 100) << figure;
  }
  EXPECT_GT(system["memory"]["process_rss_bytes"].get<double>(), 50e6) << "the model is in memory";
  EXPECT_GE(system["memory"]["process_peak_rss_bytes"], system["memory"]["process_rss_bytes"]);
  EXPECT_GT(system["memory"]["machine_bytes"], system["memory"]["machine_available_bytes"]);
  EXPECT_EQ(system["queue"], (json{{"running", 0}, {"waiting", 0}, {"capacity", 3}, {"concurrency", 1}}));
  EXPECT_EQ(system["model"]["name"], "isnet-qdq");
  EXPECT_EQ(system["model"]["ready"], true);
  const std::string device = system["model"]["device"];
  EXPECT_NE(server.log().find(device), std::string::npos) << server.log();
  if (system["model"]["execution_provider"] == "cuda") {  // a machine with an NVIDIA GPU
    EXPECT_EQ(system["gpu"]["description"], device);
  } else {
    EXPECT_EQ(system["model"]["execution_provider"], "cpu");
    EXPECT_TRUE(system["gpu"].is_null());
    EXPECT_EQ(device.rfind("CUDA was asked for but cannot be used, so inference runs on the CPU: ", 0), 0u)
        << device;
  }
  EXPECT_EQ(system["limits"]["max_upload_bytes"], 7 * 1024 * 1024);
  EXPECT_EQ(system["limits"]["max_pixels"], 150'000'000);

  const json api = json::parse(http.Get("/api/openapi.json")->body);
  EXPECT_EQ(api["openapi"].get<std::string>().substr(0, 2), "3.");
  EXPECT_EQ(api["info"]["version"], RMBG_VERSION);
  for (const char* path : {"/remove-bg", "/api/preview", "/api/idphoto", "/api/idphoto/sizes", "/api/health", "/api/system",
                           "/metrics", "/api/openapi.json", "/"})
    EXPECT_TRUE(api["paths"].contains(path)) << path;
  const json& fields =
      api["paths"]["/remove-bg"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"];
  std::vector<std::string> names;
  for (const auto& [name, _] : fields.items()) names.push_back(name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"bg", "crop", "depth", "format", "image", "model", "preset", "quality", "type"}));

  for (const auto& [url, file, type] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"/", "index.html", "text/html; charset=utf-8"},
           {"/app.js", "app.js", "text/javascript; charset=utf-8"},
           {"/app.css", "app.css", "text/css; charset=utf-8"}}) {
    const auto response = http.Get(url);
    ASSERT_TRUE(response) << url;
    EXPECT_EQ(response->status, 200) << url;
    EXPECT_EQ(response->get_header_value("Content-Type"), type) << url;
    EXPECT_EQ(response->body, read_file(fs::path(RMBG_SOURCE_DIR) / "web" / file)) << url;
    EXPECT_NE(response->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  }
}

std::string from_base64(const std::string& text) {
  const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  unsigned group = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') break;
    group = group << 6 | static_cast<unsigned>(digits.find(c));
    if ((bits += 6) >= 8) bytes += static_cast<char>((group >> (bits -= 8)) & 0xff);
  }
  return bytes;
}

// A HEIC photograph, which no browser but Safari draws, comes back as a JPEG of its own size; a
// file that is not a photograph gets the same errors as /remove-bg.
TEST(Server, PreviewsAPhotographForABrowserThatCannotDrawIt) {
  ServerProcess server;
  init_vips();
  const std::string heic = test::to_bytes(decoded(rocket()), ".heic");
  const auto response = server.client().Post("/api/preview", form(heic, {}, "phone.heic"));
  ASSERT_TRUE(response) << server.log();
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->get_header_value("Content-Type"), "image/jpeg");
  const vips::VImage preview = decoded(response->body);
  EXPECT_EQ(preview.width(), 640);
  EXPECT_EQ(preview.height(), 427);
  const double difference = (preview.cast(VIPS_FORMAT_FLOAT) - decoded(rocket()).cast(VIPS_FORMAT_FLOAT)).abs().avg();
  EXPECT_LT(difference, 6) << "the photograph itself";
  expect_json_error(server.client().Post("/api/preview", form("not a picture")), 415, "unsupported_format", "",
                    "a text file");
}

httplib::Result post_idphoto(const ServerProcess& server, const std::string& image, const Fields& fields,
                             const httplib::Headers& headers = {}) {
  return server.client().Post("/api/idphoto", headers, form(image, fields));
}

TEST(Server, MakesIdPhotosAndPrintSheets) {
  ServerProcess server;
  const std::string astronaut = read_file(sample("astronaut.png"));
  const auto photo = post_idphoto(server, astronaut, {{"size", "2inch"}, {"bg", "red"}});
  ASSERT_TRUE(photo);
  ASSERT_EQ(photo->status, 200) << photo->body;
  EXPECT_EQ(photo->get_header_value("Content-Type"), "image/jpeg");
  const vips::VImage image = decoded(photo->body);
  EXPECT_EQ(image.width(), 413);
  EXPECT_EQ(image.height(), 579);
  EXPECT_NEAR(image.xres() * 25.4, 300, 0.01);
  const std::vector<double> corner = image.getpoint(2, 2);
  EXPECT_NEAR(corner[0], 255, 3);
  EXPECT_NEAR(corner[1], 0, 3);
  EXPECT_NEAR(corner[2], 0, 3);

  // Asked for JSON: the photo under its size target and the sheet, from one run of the models.
  const auto both = post_idphoto(server, astronaut, {{"size", "small-2inch"}, {"kb", "30"}, {"layout", "5inch"}},
                                 {{"Accept", "application/json"}});
  ASSERT_TRUE(both);
  ASSERT_EQ(both->status, 200) << both->body;
  const json body = json::parse(both->body);
  const std::string small = from_base64(body["photo"]["base64"]);
  EXPECT_LE(small.size(), 30u * 1024);
  EXPECT_EQ(body["photo"]["bytes"], small.size());
  EXPECT_EQ(decoded(small).width(), 413);
  EXPECT_EQ(body["sheet"]["copies"], 5);
  const vips::VImage sheet = decoded(from_base64(body["sheet"]["base64"]));
  EXPECT_EQ(sheet.width() * sheet.height(), 1050 * 1500);
  EXPECT_NEAR(body["placement"]["head_height_mm"].get<double>(), (26.3 + 30.9) / 2, 0.05);
  EXPECT_EQ(body["placement"]["continued_mm"], 0) << "the astronaut is photographed down to the chest";

  const json sizes = json::parse(server.client().Get("/api/idphoto/sizes?dpi=600")->body);
  ASSERT_EQ(sizes["sizes"].size(), 10u);
  for (const auto& size : sizes["sizes"])
    if (size["name"] == "us-visa") {
      EXPECT_EQ(size["width_px"], 1200);
    }
  EXPECT_EQ(sizes["sheets"][0]["name"], "6inch");
  expect_json_error(server.client().Get("/api/idphoto/sizes?dpi=7"), 400, "invalid_argument", "dpi", "dpi 7");
}

TEST(Server, IdPhotoMistakesGetTheirStatusAndTheServerStaysUp) {
  ServerProcess server;
  const std::string astronaut = read_file(sample("astronaut.png"));
  const vips::VImage one = decoded(astronaut);
  const std::string two = test::to_bytes(one.join(one, VIPS_DIRECTION_HORIZONTAL), ".png");
  expect_json_error(post_idphoto(server, two, {{"size", "1inch"}}), 422, "several_faces", "2 faces found", "two people");
  expect_json_error(post_idphoto(server, read_file(sample("chelsea.png")), {{"size", "1inch"}}), 422, "no_face",
                    "no face found", "a cat");
  expect_json_error(post_idphoto(server, test::to_bytes(one.extract_area(0, 0, 512, 180), ".png"), {{"size", "2inch"}}),
                    422, "body_cut_off", "down to the chest", "a portrait cut off at the chin");
  expect_json_error(post_idphoto(server, astronaut, {}), 400, "invalid_argument", "no size", "no size");
  expect_json_error(post_idphoto(server, astronaut, {{"size", "3inch"}}), 400, "invalid_argument",
                    "unknown photo size '3inch'", "an unknown size");
  expect_json_error(post_idphoto(server, astronaut, {{"size", "1inch"}, {"bg", "sky"}}), 400, "invalid_argument",
                    "field 'bg'", "a wrong colour");
  expect_json_error(post_idphoto(server, astronaut, {{"size", "1inch"}, {"format", "png"}, {"kb", "20"}}), 400,
                    "invalid_argument", "needs JPEG", "a size target for a PNG");
  expect_json_error(post_idphoto(server, astronaut, {{"size", "1inch"}, {"depth", "16"}}), 400, "invalid_argument",
                    "unknown field 'depth'", "a field of /remove-bg");
  expect_json_error(post_idphoto(server, astronaut.substr(0, astronaut.size() / 3), {{"size", "1inch"}}), 422,
                    "corrupt_image", "damaged or truncated", "a truncated PNG");
  expect_json_error(post_idphoto(server, astronaut, {{"size", "1inch"}, {"kb", "1"}}), 422, "file_size_unreachable",
                    "cannot be made as small as 1 KB", "1 KB");
  // Once a stack overflow that ended the server: a size of 100,000 digits.
  expect_json_error(post_idphoto(server, astronaut, {{"size", std::string(100'000, '9') + "x45mm"}}), 400,
                    "invalid_argument", "field 'size': '99999999999999999999...' is too long", "100,000 digits");
  expect_json_error(post_idphoto(server, astronaut, {{"size", "99999999999999999999x45mm"}}), 400, "invalid_argument",
                    "99999999999999999999 is too large for a side", "a number too large");
  ASSERT_FALSE(server.has_exited()) << server.log();
  EXPECT_EQ(post_idphoto(server, astronaut, {{"size", "1inch"}})->status, 200);
}

// A raw connection to the server that has sent `request` (which may stop half-way).
int connection_that_sent(int port, const std::string& request) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::send(sock, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  return sock;
}

// Seconds until the server closes a raw connection that sent `request` and then went quiet.
double seconds_until_closed(int port, const std::string& request) {
  const int sock = connection_that_sent(port, request);
  const auto started = Clock::now();
  char buffer[4096];
  while (::recv(sock, buffer, sizeof buffer, 0) > 0) {
  }
  ::close(sock);
  return std::chrono::duration<double>(Clock::now() - started).count();
}

TEST(Server, StalledAndIdleConnectionsAreClosedAfterTheirTimeouts) {
  ServerProcess server({"--read-timeout", "1", "--idle-timeout", "1"});
  const double stalled = seconds_until_closed(
      server.port(),
      "POST /remove-bg HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
      "Content-Length: 100000\r\n\r\n--b\r\n");
  EXPECT_LT(stalled, 4) << "an upload that stops half-way is dropped after --read-timeout";
  const double idle = seconds_until_closed(server.port(), "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_GT(idle, 0.5);
  EXPECT_LT(idle, 4) << "a kept-alive connection with nothing to do is closed after --idle-timeout";
  EXPECT_EQ(server.client().Get("/api/health")->status, 200);
}

TEST(Server, SlowClientsDoNotKeepOthersOut) {
  ServerProcess server;
  // Each sends the start of a request and then nothing, holding its connection for --read-timeout.
  std::vector<int> slow;
  for (int i = 0; i < 60; ++i) slow.push_back(connection_that_sent(server.port(), "POST /remove-bg HTTP/1.1\r\nHo"));
  const auto started = Clock::now();
  const auto health = server.client().Get("/api/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - started).count(), 2);
  EXPECT_EQ(post(server, rocket())->status, 200);
  for (const int sock : slow) ::close(sock);
}

TEST(Server, AnAnnouncedUploadIsRefusedBeforeItIsSentWhenTheQueueIsFull) {
  ServerProcess server({"--queue", "0"});
  const std::string large = test::to_bytes(decoded(rocket()).resize(9.4), ".jpg");
  auto first = std::async(std::launch::async, [&] { return post(server, large); });
  auto http = server.client();
  while (json::parse(http.Get("/api/system")->body)["queue"]["running"].get<int>() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto health = http.Get("/api/health");
  EXPECT_EQ(health->status, 200) << "a full server is alive: a balancer keeps it";
  EXPECT_EQ(json::parse(health->body)["status"], "full");
  // As curl announces any upload over 1 MB: the headers, then the body only after "100 Continue".
  const int sock = connection_that_sent(
      server.port(),
      "POST /remove-bg HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
      "Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n");
  const auto started = Clock::now();
  std::string answer;
  char buffer[4096];
  while (answer.find("}") == std::string::npos) {
    const ssize_t got = ::recv(sock, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    answer.append(buffer, static_cast<size_t>(got));
  }
  ::close(sock);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - started).count(), 1);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 503 ")) << answer;
  EXPECT_NE(answer.find("Retry-After: "), std::string::npos) << answer;
  EXPECT_NE(answer.find("every place in its queue is taken"), std::string::npos) << answer;
  EXPECT_EQ(first.get()->status, 200);
}

TEST(Server, SigtermFinishesTheWorkInFlightThenExits) {
  ServerProcess server;
  auto in_flight = std::async(std::launch::async, [&] { return post(server, rocket()); });
  auto http = server.client();
  while (json::parse(http.Get("/api/system")->body)["queue"]["running"].get<int>() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(server.pid(), SIGTERM);

  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  httplib::Client late("127.0.0.1", server.port());
  late.set_connection_timeout(std::chrono::seconds(1));
  EXPECT_FALSE(late.Get("/api/health")) << "no new connections once stopping";

  const auto answer = in_flight.get();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(decoded(answer->body).width(), 640);
  EXPECT_EQ(server.wait_exit(), 0) << server.log();
  EXPECT_NE(server.log().find("finishing 1 images in progress"), std::string::npos) << server.log();
}

TEST(Server, StartupProblemsAreClearErrors) {
  {  // no model in the cache
    TempDir empty_cache;
    ::setenv("RMBG_CACHE", empty_cache.path().c_str(), 1);
    ServerProcess server({}, false);
    EXPECT_EQ(server.wait_exit(), 1);
    EXPECT_NE(server.log().find("fetch it with: rmbg models fetch isnet-qdq"), std::string::npos) << server.log();
    ::unsetenv("RMBG_CACHE");
  }
  {  // the port is taken
    ServerProcess first({"--model", "isnet"}, false);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline && !first.client().Get("/api/health"))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // `timeout`: a second server that does start must fail this test, not hang it.
    const std::string command =
        "timeout 60 " + std::string(RMBG_BINARY) + " serve --port " + std::to_string(first.port()) + " 2>&1";
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
    EXPECT_EQ(WEXITSTATUS(::pclose(pipe)), 1) << output;
    EXPECT_NE(output.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos) << output;
  }
}

// A clip of `frames` frames of the rocket photograph at 4 frames a second, made with the ffmpeg
// command (independently of rmbg).
std::string rocket_clip(const TempDir& dir, int frames) {
  const fs::path clip = dir / "rocket.mp4";
  const std::string command = "ffmpeg -v error -y -loop 1 -framerate 4 -i '" + sample("rocket.jpg").string() +
                              "' -frames:v " + std::to_string(frames) +
                              " -vf scale=320:-2 -pix_fmt yuv420p -c:v libx264 '" + clip.string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return read_file(clip);
}

httplib::MultipartFormDataItems video_form(const std::string& clip, const Fields& fields = {}) {
  httplib::MultipartFormDataItems items{{"video", clip, "clip.mp4", "video/mp4"}};
  for (const auto& [name, value] : fields) items.push_back({name, value, "", ""});
  return items;
}

// Whether process `pid` has a library whose name starts with `name` mapped.
bool maps_library(pid_t pid, const std::string& name) {
  return read_file("/proc/" + std::to_string(pid) + "/maps").find("/" + name) != std::string::npos;
}

// A clip goes in as a job (202), its progress can be followed, and its result is a WebM with
// alpha of every frame; asked for too early the result is a 409; deleted, the job is gone.
// FFmpeg is loaded (with librmbg-video.so) only once a clip comes.
TEST(Server, CutsOutAVideoAsAJob) {
  ServerProcess server;
  TempDir dir;
  const std::string clip = rocket_clip(dir, 3);
  EXPECT_EQ(post(server, rocket())->status, 200);
  EXPECT_FALSE(maps_library(server.pid(), "libavcodec")) << "FFmpeg loaded before any video";
  const auto accepted = server.client().Post("/api/video", video_form(clip, {{"format", "webm"}}));
  ASSERT_TRUE(accepted) << server.log();
  ASSERT_EQ(accepted->status, 202) << accepted->body;
  const json job = json::parse(accepted->body);
  const std::string id = job["id"];
  EXPECT_EQ(accepted->get_header_value("Location"), "jobs/" + id);
  EXPECT_EQ(job["total_frames"], 3);
  if (job["status"] != "done")
    expect_json_error(server.client().Get("/api/jobs/" + id + "/result"), 409, "job_unfinished", "not ready",
                      "the result of a job in progress");

  json status;
  const auto deadline = Clock::now() + std::chrono::seconds(240);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    const auto answer = server.client().Get("/api/jobs/" + id);
    ASSERT_TRUE(answer && answer->status == 200);
    status = json::parse(answer->body);
  } while (status["status"] != "done" && status["status"] != "failed" && Clock::now() < deadline);
  ASSERT_EQ(status["status"], "done") << status.dump();
  EXPECT_EQ(status["frames"], 3);
  EXPECT_TRUE(maps_library(server.pid(), "libavcodec"));

  const auto result = server.client().Get("/api/jobs/" + id + "/result");
  ASSERT_TRUE(result && result->status == 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "video/webm");
  EXPECT_EQ(std::to_string(result->body.size()), status["result_bytes"].dump());
  const fs::path webm = dir / "result.webm";
  write_file_atomic(webm, result->body);
  VideoReader reader(webm);
  EXPECT_TRUE(reader.info().has_alpha);
  int frames = 0;
  while (const auto frame = reader.next()) {
    ++frames;
    int transparent = 0, opaque = 0;
    for (size_t i = 3; i < frame->rgba.size(); i += 4) {
      transparent += frame->rgba[i] < 16;
      opaque += frame->rgba[i] > 240;
    }
    EXPECT_GT(transparent, 0) << "the sky is cut away, frame " << frames;
    EXPECT_GT(opaque, 0) << "the rocket is kept, frame " << frames;
  }
  EXPECT_EQ(frames, 3);

  EXPECT_EQ(server.client().Delete("/api/jobs/" + id)->status, 204);
  expect_json_error(server.client().Get("/api/jobs/" + id), 404, "not_found", id, "a deleted job");
}

// What cannot become a job is refused at once, in words about the upload; a job over the limit
// gets 503; a job deleted while it runs stops, and the server goes on.
TEST(Server, VideoMistakesAreRefusedAtOnce) {
  ServerProcess server({"--max-video-jobs", "1"});
  TempDir dir;
  const std::string clip = rocket_clip(dir, 8);
  const auto text = server.client().Post("/api/video", video_form("this is not a video\n"));
  expect_json_error(text, 415, "unsupported_format", "the upload is not a video", "a text file");
  EXPECT_EQ(text->body.find(fs::temp_directory_path().string()), std::string::npos) << "no server path: " << text->body;
  expect_json_error(server.client().Post("/api/video", video_form(clip, {{"format", "mp4"}})), 400, "invalid_argument",
                    "background colour", "mp4 without a background");
  expect_json_error(server.client().Post("/api/video", video_form(clip, {{"fps", "fast"}})), 400, "invalid_argument",
                    "not a number", "a wrong number");
  expect_json_error(server.client().Post("/api/video", form(clip)), 400, "invalid_argument", "unknown field 'image'",
                    "the clip in the photograph's field");
  expect_json_error(server.client().Get("/api/jobs/0123456789abcdef"), 404, "not_found", "no video job", "an unknown id");
  EXPECT_EQ(server.client().Get("/api/jobs/" + std::string(200, 'a'))->status, 404) << "an id too long for one";

  const auto started = server.client().Post("/api/video", video_form(clip));
  ASSERT_TRUE(started && started->status == 202) << (started ? started->body : server.log());
  const std::string id = json::parse(started->body)["id"];
  expect_json_error(server.client().Post("/api/video", video_form(clip)), 503, "overloaded", "videos to cut out",
                    "a second clip over --max-video-jobs 1");
  EXPECT_EQ(server.client().Delete("/api/jobs/" + id)->status, 204);
  EXPECT_EQ(server.client().Get("/api/jobs/" + id)->status, 404);
  EXPECT_EQ(post(server, rocket())->status, 200) << "the server goes on";
}

}  // namespace
}  // namespace rmbg
