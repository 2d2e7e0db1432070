// `rmbg serve` as a drop-in for remove.bg's and rembg's APIs, and safe when exposed: requests
// shaped as remove.bg's API reference documents them, API keys, the Host check, CORS, 405,
// request ids, the access log, a base path and URL fetching from a server the test starts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "rmbg/files.hpp"
#include "rmbg/image.hpp"
#include "server_process.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using nlohmann::json;
using test::sample;
using test::ServerProcess;

std::string rocket() { return read_file(sample("rocket.jpg")); }  // 640x427

vips::VImage decoded(const std::string& bytes) {
  init_vips();
  return vips::VImage::new_from_buffer(bytes.data(), bytes.size(), "").copy_memory();
}

const std::string kDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const std::string& bytes) {
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char c : bytes) {
    bits = bits << 8 | c;
    for (count += 8; count >= 6;) out += kDigits[(bits >> (count -= 6)) & 63];
  }
  if (count > 0) out += kDigits[(bits << (6 - count)) & 63];
  while (out.size() % 4) out += '=';
  return out;
}

std::string unbase64(const std::string& text) {
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    bits = bits << 6 | static_cast<unsigned>(kDigits.find(c));
    if ((count += 6) >= 8) out += static_cast<char>((bits >> (count -= 8)) & 0xff);
  }
  return out;
}

// A web server on loopback that the server under test fetches images from.
class ImageHost {
 public:
  ImageHost() : port_(test::free_port()) {
    http_.Get("/rocket.jpg", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(rocket(), "image/jpeg");
    });
    http_.Get("/same-host", [this](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("http://127.0.0.1:" + std::to_string(port_) + "/rocket.jpg");
    });
    http_.Get("/other-host", [this](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("http://localhost:" + std::to_string(port_) + "/rocket.jpg");
    });
    http_.Get("/large", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(300 * 1024, 'x'), "image/jpeg");
    });
    thread_ = std::thread([this] { http_.listen("127.0.0.1", port_); });
    while (!http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~ImageHost() {
    http_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  int port_;
  httplib::Server http_;
  std::thread thread_;
};

void expect_removebg_error(const httplib::Result& response, int status, const std::string& detail_part) {
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, status) << response->body;
  const json body = json::parse(response->body, nullptr, false);
  ASSERT_TRUE(body.contains("errors")) << response->body;
  ASSERT_EQ(body["errors"].size(), 1u);
  const json& error = body["errors"][0];
  EXPECT_TRUE(error["title"].is_string());
  EXPECT_TRUE(error["code"].is_string());
  const std::string detail = error["detail"];
  EXPECT_NE(detail.find(detail_part), std::string::npos) << detail;
}

// remove.bg's API: one server for the suite, allowed to fetch from loopback.
class RemovebgApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    images_ = new ImageHost;
    server_ = new ServerProcess({"--allow-url-fetch", "127.0.0.1", "--url-fetch-max-mb", "0.25"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete images_;
  }
  static httplib::Client client() { return server_->client(); }
  static httplib::Result post_form(const httplib::MultipartFormDataItems& items, const httplib::Headers& headers = {}) {
    return client().Post("/v1.0/removebg", headers, items);
  }
  static httplib::MultipartFormDataItems form(const std::vector<std::pair<std::string, std::string>>& fields) {
    httplib::MultipartFormDataItems items{{"image_file", rocket(), "rocket.jpg", "image/jpeg"}};
    for (const auto& [name, value] : fields) items.push_back({name, value, "", ""});
    return items;
  }
  static inline ImageHost* images_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

TEST_F(RemovebgApi, MultipartUploadAnswersAPreviewSizedPngWithRemovebgHeaders) {
  const auto response = post_form(form({}));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(response->get_header_value("X-Credits-Charged"), "0");
  EXPECT_EQ(response->get_header_value("X-Type"), "other");
  const vips::VImage out = decoded(response->body);
  EXPECT_EQ(out.bands(), 4);
  // remove.bg's default size is "preview": at most 0.25 megapixels, in the photograph's proportions.
  EXPECT_LE(out.width() * out.height(), 250'000);
  EXPECT_GT(out.width() * out.height(), 240'000);
  EXPECT_NEAR(double(out.width()) / out.height(), 640.0 / 427, 0.01);
  EXPECT_EQ(response->get_header_value("X-Width"), std::to_string(out.width()));
  EXPECT_EQ(response->get_header_value("X-Height"), std::to_string(out.height()));
  EXPECT_LT(out.extract_band(3).getpoint(2, 2)[0], 10);  // the sky is transparent
}

TEST_F(RemovebgApi, FullSizeJpegOnAHexColourWithoutHash) {
  const auto response = post_form(form({{"size", "full"}, {"format", "jpg"}, {"bg_color", "81d4fa"}, {"type", "product"}}));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(response->get_header_value("X-Type"), "product");
  const vips::VImage out = decoded(response->body);
  EXPECT_EQ(out.width(), 640);
  EXPECT_EQ(out.height(), 427);
  const std::vector<double> corner = out.getpoint(2, 2);
  EXPECT_NEAR(corner[0], 0x81, 6);
  EXPECT_NEAR(corner[1], 0xd4, 6);
  EXPECT_NEAR(corner[2], 0xfa, 6);
}

TEST_F(RemovebgApi, UrlencodedBase64WithAcceptJsonAnswersRemovebgsJson) {
  // The coffee cup sits in the middle of its photograph, away from every edge.
  const std::string body = "image_file_b64=" + httplib::detail::encode_query_param(base64(read_file(sample("coffee.png")))) +
                           "&size=medium&channels=alpha&crop=true&crop_margin=10px";
  const auto response = client().Post("/v1.0/removebg", {{"Accept", "application/json"}}, body,
                                      "application/x-www-form-urlencoded");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->get_header_value("Content-Type"), "application/json");
  const json data = json::parse(response->body)["data"];
  const vips::VImage mask = decoded(unbase64(data["result_b64"]));
  EXPECT_EQ(mask.bands(), 1);  // channels=alpha: the matte alone
  // Cropped to the subject with 10 px around it, where the photograph has them: the cup starts
  // 10 px in, and ends at most 10 px before the crop does.
  EXPECT_EQ(data["foreground_left"], 10);
  EXPECT_EQ(data["foreground_top"], 10);
  const int right_margin = mask.width() - int(data["foreground_left"]) - int(data["foreground_width"]);
  const int bottom_margin = mask.height() - int(data["foreground_top"]) - int(data["foreground_height"]);
  EXPECT_TRUE(right_margin >= 0 && right_margin <= 10) << right_margin;
  EXPECT_TRUE(bottom_margin >= 0 && bottom_margin <= 10) << bottom_margin;
  EXPECT_LT(mask.width() * mask.height(), 600 * 400);
}

TEST_F(RemovebgApi, JsonBodyWithImageUrlScaledAndPlacedAsZip) {
  const json request{{"image_url", images_->url("/same-host")}, {"size", "auto"}, {"format", "zip"},
                     {"scale", "50%"}, {"position", "0% 100%"}, {"crop", false}};
  const auto response = client().Post("/v1.0/removebg", request.dump(), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->get_header_value("Content-Type"), "application/zip");
  // Stored entries: local header (30 bytes + name), then the file itself.
  const std::string& zip = response->body;
  const auto entry = [&](const std::string& name) {
    const auto at = zip.find(name);
    EXPECT_NE(at, std::string::npos) << name;
    const auto size = static_cast<unsigned char>(zip[at - 8]) | static_cast<unsigned char>(zip[at - 7]) << 8 |
                      static_cast<unsigned char>(zip[at - 6]) << 16;
    return decoded(zip.substr(at + name.size(), size));
  };
  const vips::VImage colour = entry("color.jpg"), alpha = entry("alpha.png");
  EXPECT_EQ(colour.bands(), 3);
  EXPECT_EQ(alpha.bands(), 1);
  EXPECT_EQ(colour.width(), 640);
  EXPECT_EQ(alpha.height(), 427);
  // Half the canvas at most, at the bottom-left corner.
  const int left = std::stoi(response->get_header_value("X-Foreground-Left"));
  const int top = std::stoi(response->get_header_value("X-Foreground-Top"));
  const int width = std::stoi(response->get_header_value("X-Foreground-Width"));
  const int height = std::stoi(response->get_header_value("X-Foreground-Height"));
  EXPECT_EQ(left, 0);
  EXPECT_EQ(top + height, 427);
  EXPECT_TRUE(std::abs(width - 320) <= 1 || std::abs(height - 213) <= 1) << width << "x" << height;
  EXPECT_EQ(alpha.getpoint(639, 0)[0], 0);  // nothing left at the top right
}

TEST_F(RemovebgApi, BackgroundImageFileMakesAnOpaqueJpeg) {
  init_vips();
  const std::string red = test::to_bytes((vips::VImage::black(50, 30) + std::vector<double>{255, 0, 0}).cast(VIPS_FORMAT_UCHAR), ".png");
  httplib::MultipartFormDataItems items = form({{"size", "regular"}, {"roi", "0% 0% 50% 100%"}});
  items.push_back({"bg_image_file", red, "red.png", "image/png"});
  const auto response = post_form(items);
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->get_header_value("Content-Type"), "image/jpeg");  // format=auto, nothing transparent
  const vips::VImage out = decoded(response->body);
  const std::vector<double> corner = out.getpoint(2, 2);
  EXPECT_GT(corner[0], 230);
  EXPECT_LT(corner[1], 30);
  // The region of interest is the left half: the right half shows the background picture only.
  const std::vector<double> right = out.getpoint(out.width() - 3, out.height() / 2);
  EXPECT_GT(right[0], 230);
}

TEST_F(RemovebgApi, ErrorsComeInRemovebgsShape) {
  expect_removebg_error(client().Post("/v1.0/removebg", "size=full", "application/x-www-form-urlencoded"), 400,
                        "no image");
  expect_removebg_error(post_form(form({{"size", "huge"}})), 400, "field 'size'");
  expect_removebg_error(post_form(form({{"crop_margin", "1px 2px 3px"}})), 400, "field 'crop_margin'");
  expect_removebg_error(post_form(form({{"bg_colour", "red"}})), 400, "field 'bg_colour'");
  expect_removebg_error(client().Post("/v1.0/removebg", "{\"image_file_b64\": 1", "application/json"), 400,
                        "JSON");
  expect_removebg_error(client().Get("/v1.0/removebg"), 405, "POST");
  // A broken upload is the client's mistake, as remove.bg says it.
  expect_removebg_error(client().Post("/v1.0/removebg", json{{"image_file_b64", base64("not an image")}}.dump(),
                                      "application/json"),
                        400, "");
}

TEST_F(RemovebgApi, UrlsAreFetchedWithinLimitsAndOnlyFromTheSameHost) {
  const auto fetch = [](const std::string& url) {
    return client().Post("/v1.0/removebg", json{{"image_url", url}}.dump(), "application/json");
  };
  expect_removebg_error(fetch(images_->url("/other-host")), 400, "redirects to another host");
  expect_removebg_error(fetch(images_->url("/large")), 400, "larger than");
  expect_removebg_error(fetch("http://localhost:1/x.jpg"), 400, "does not fetch from localhost");
  expect_removebg_error(fetch("file:///etc/passwd"), 400, "not an http:// URL");
}

TEST_F(RemovebgApi, AccountHasUnlimitedCredits) {
  const auto response = client().Get("/v1.0/account");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json credits = json::parse(response->body)["data"]["attributes"]["credits"];
  EXPECT_GE(credits["total"].get<double>(), 1e9);
}

TEST_F(RemovebgApi, RembgRoutes) {
  const auto posted = client().Post("/api/remove", httplib::MultipartFormDataItems{{"file", rocket(), "rocket.jpg", "image/jpeg"}});
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 200) << posted->body;
  EXPECT_EQ(posted->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(decoded(posted->body).bands(), 4);

  const auto fetched = client().Get("/api/remove?om=true&url=" + httplib::detail::encode_query_param(images_->url("/rocket.jpg")));
  ASSERT_TRUE(fetched);
  ASSERT_EQ(fetched->status, 200) << fetched->body;
  const vips::VImage mask = decoded(fetched->body);
  EXPECT_EQ(mask.bands(), 1);
  EXPECT_EQ(mask.width(), 640);
}

// A server that is exposed: keys, Host, CORS, trusted proxies and a JSON access log.
class Exposed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--api-key", "k-one", "--status-key", "s-key", "--cors-origin", "https://shop.example",
                                 "--allowed-host", "rmbg.internal", "--trusted-proxy", "127.0.0.1", "--log-format",
                                 "json"},
                                false);
    // Health needs no key, so readiness is told as for any server.
    server_->wait_ready();
  }
  static void TearDownTestSuite() { delete server_; }
  static httplib::Client client() { return server_->client(); }
  static inline ServerProcess* server_ = nullptr;
};

TEST_F(Exposed, ApiRoutesNeedAKeyAndThePageDoesNot) {
  const auto none = client().Post("/remove-bg", "", "application/octet-stream");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"]["code"], "unauthorized");
  EXPECT_EQ(client().Get("/api/idphoto/sizes", {{"X-Api-Key", "wrong"}})->status, 401);
  EXPECT_EQ(client().Get("/api/idphoto/sizes", {{"X-Api-Key", "k-one"}})->status, 200);
  EXPECT_EQ(client().Get("/v1.0/account", {{"Authorization", "Bearer k-one"}})->status, 200);
  expect_removebg_error(client().Get("/v1.0/account"), 403, "API key");
  EXPECT_EQ(client().Get("/")->status, 200);
  EXPECT_EQ(client().Get("/api/health")->status, 200);
  EXPECT_EQ(client().Get("/api/openapi.json")->status, 200);
  EXPECT_EQ(client().Get("/api/docs")->status, 200);
  // Status routes have a key of their own.
  EXPECT_EQ(client().Get("/metrics", {{"X-Api-Key", "k-one"}})->status, 401);
  EXPECT_EQ(client().Get("/metrics", {{"X-Api-Key", "s-key"}})->status, 200);
  EXPECT_EQ(client().Get("/api/system", {{"X-Api-Key", "s-key"}})->status, 200);
}

TEST_F(Exposed, RefusesHostsItDoesNotAnswerTo) {
  const auto rebound = client().Get("/api/health", {{"Host", "attacker.example"}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  EXPECT_EQ(json::parse(rebound->body)["error"]["code"], "forbidden");
  EXPECT_EQ(client().Get("/api/health", {{"Host", "localhost:" + std::to_string(server_->port())}})->status, 200);
  EXPECT_EQ(client().Get("/api/health", {{"Host", "rmbg.internal"}})->status, 200);
}

TEST_F(Exposed, CorsOnlyForTheNamedOrigin) {
  const auto preflight = client().Options(
      "/remove-bg", {{"Origin", "https://shop.example"}, {"Access-Control-Request-Method", "POST"},
                     {"Access-Control-Request-Headers", "x-api-key"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "https://shop.example");
  EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Headers").find("X-Api-Key"), std::string::npos);

  const auto other = client().Options("/remove-bg", {{"Origin", "https://evil.example"},
                                                     {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));

  const auto simple = client().Get("/api/idphoto/sizes", {{"Origin", "https://shop.example"}, {"X-Api-Key", "k-one"}});
  EXPECT_EQ(simple->get_header_value("Access-Control-Allow-Origin"), "https://shop.example");
  const auto foreign = client().Get("/api/idphoto/sizes", {{"Origin", "https://evil.example"}, {"X-Api-Key", "k-one"}});
  EXPECT_FALSE(foreign->has_header("Access-Control-Allow-Origin"));
}

TEST_F(Exposed, WrongMethodIs405WithAllow) {
  const auto response = client().Get("/remove-bg", {{"X-Api-Key", "k-one"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->get_header_value("Allow"), "POST, OPTIONS");
  EXPECT_EQ(json::parse(response->body)["error"]["code"], "method_not_allowed");
  EXPECT_EQ(client().Delete("/api/health")->status, 405);
}

TEST_F(Exposed, RequestIdsAndAJsonAccessLogWithTheClientBehindTheProxy) {
  const auto given = client().Get("/api/health", {{"X-Request-Id", "trace-42"}, {"X-Forwarded-For", "203.0.113.9"}});
  ASSERT_TRUE(given);
  EXPECT_EQ(given->get_header_value("X-Request-Id"), "trace-42");
  const auto made = client().Get("/api/health", {{"X-Request-Id", std::string(200, 'a')}});
  const std::string id = made->get_header_value("X-Request-Id");
  EXPECT_EQ(id.size(), 16u);
  EXPECT_NE(id, client().Get("/api/health")->get_header_value("X-Request-Id"));

  const auto logged = [&](const std::string& request_id) {
    std::istringstream lines(server_->log());
    for (std::string line; std::getline(lines, line);) {
      const json entry = json::parse(line, nullptr, false);
      if (entry.is_object() && entry.value("request_id", "") == request_id) return entry;
    }
    return json();
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the line is written after the answer
  const json entry = logged("trace-42");
  ASSERT_TRUE(entry.is_object()) << server_->log();
  EXPECT_EQ(entry["client"], "203.0.113.9");
  EXPECT_EQ(entry["method"], "GET");
  EXPECT_EQ(entry["path"], "/api/health");
  EXPECT_EQ(entry["status"], 200);
  EXPECT_EQ(entry["bytes"], given->body.size());
  EXPECT_TRUE(entry["seconds"].is_number());
  EXPECT_TRUE(entry["time"].is_string());
  EXPECT_TRUE(logged(id).is_object());
}

TEST_F(Exposed, UrlFetchingIsOffUnlessAllowed) {
  const auto response = client().Post("/v1.0/removebg", {{"X-Api-Key", "k-one"}},
                                      json{{"image_url", "http://127.0.0.1:1/a.jpg"}}.dump(), "application/json");
  expect_removebg_error(response, 400, "does not fetch URLs");
}

TEST(BasePath, ServesUnderThePathAndWarnsWhenOpenToTheNetwork) {
  ServerProcess server({"--host", "0.0.0.0", "--base-path", "/rmbg/"}, false);
  httplib::Client http = server.client();
  for (int i = 0; i < 2400; ++i) {
    if (const auto health = http.Get("/rmbg/api/health"); health && health->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(http.Get("/rmbg/api/health")->status, 200) << server.log();
  EXPECT_EQ(http.Get("/rmbg/")->status, 200);
  const auto bare = http.Get("/rmbg");  // the page's relative links need its folder
  EXPECT_EQ(bare->status, 308);
  EXPECT_EQ(bare->get_header_value("Location"), "/rmbg/");
  EXPECT_EQ(http.Get("/api/health")->status, 404);
  EXPECT_NE(server.log().find("WARNING"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace rmbg
