// The server's door: loopback names, keys, the client behind trusted proxies, request ids, log
// lines; and the base64 that remove.bg's clients send.
#include "server/access.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/base64.hpp"
#include "rmbg/error.hpp"

namespace rmbg::server {
namespace {

httplib::Request request_from(const std::string& address, const httplib::Headers& headers) {
  httplib::Request request;
  request.remote_addr = address;
  request.headers = headers;
  return request;
}

TEST(Access, LoopbackNames) {
  for (const char* name : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "app.localhost"})
    EXPECT_TRUE(is_loopback(name)) << name;
  for (const char* name : {"0.0.0.0", "rmbg.example", "localhost.example", "10.0.0.1", "::"})
    EXPECT_FALSE(is_loopback(name)) << name;
}

TEST(Access, KeysFromEitherHeaderMatchOnlyWhole) {
  EXPECT_EQ(presented_key(request_from("1.2.3.4", {{"X-Api-Key", "k"}})), "k");
  EXPECT_EQ(presented_key(request_from("1.2.3.4", {{"Authorization", "Bearer  k2 "}})), "k2");
  EXPECT_EQ(presented_key(request_from("1.2.3.4", {{"Authorization", "Basic abc"}})), "");
  const std::vector<std::string> keys{"alpha", "beta"};
  EXPECT_TRUE(key_matches(keys, "beta"));
  EXPECT_FALSE(key_matches(keys, "bet"));
  EXPECT_FALSE(key_matches(keys, "betaa"));
  EXPECT_FALSE(key_matches(keys, ""));
}

TEST(Access, HostWithoutPort) {
  EXPECT_EQ(host_name(request_from("", {{"Host", "Example.COM:8000"}})), "example.com");
  EXPECT_EQ(host_name(request_from("", {{"Host", "[::1]:8000"}})), "[::1]");
}

TEST(Access, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  const std::vector<std::string> proxies{"10.0.0.2", "10.0.0.3"};
  const httplib::Headers chain{{"X-Forwarded-For", "6.6.6.6, 203.0.113.9, 10.0.0.3"}};
  // The client is the first address from the right that is not one of ours; what it claims
  // before that (6.6.6.6) is not believed.
  EXPECT_EQ(client_address(request_from("10.0.0.2", chain), proxies), "203.0.113.9");
  EXPECT_EQ(client_address(request_from("198.51.100.7", chain), proxies), "198.51.100.7");
  EXPECT_EQ(client_address(request_from("10.0.0.2", {}), proxies), "10.0.0.2");
}

TEST(Access, RequestIdsAreTakenWhenShortTokensAndMadeOtherwise) {
  EXPECT_EQ(request_id(request_from("", {{"X-Request-Id", "a-1_b.c:d"}})), "a-1_b.c:d");
  const std::string made = request_id(request_from("", {{"X-Request-Id", "has space"}}));
  EXPECT_EQ(made.size(), 16u);
  EXPECT_NE(made, request_id(request_from("", {})));
}

TEST(Access, LogLinesCannotBeSplitByThePath) {
  const AccessRecord record{"127.0.0.1", "GET", "/a b\nforged 200", "id1", 404, 10, 0.5};
  const std::string text = access_log_line(record, false);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_NE(text.find(" 127.0.0.1 GET /a?b?forged?200 404 10 B 0.500 s id=id1"), std::string::npos) << text;
  const nlohmann::json json = nlohmann::json::parse(access_log_line(record, true));
  EXPECT_EQ(json["path"], "/a b\nforged 200");
  EXPECT_EQ(json["status"], 404);
}

TEST(Base64, DecodesWhatRemovebgClientsSend) {
  EXPECT_EQ(unbase64(base64("any carnal pleas")), "any carnal pleas");
  EXPECT_EQ(unbase64("YW55IGNhcm5hbCBwbGVhcw"), "any carnal pleas");  // without padding
  EXPECT_EQ(unbase64("data:image/png;base64,YWJj"), "abc");
  EXPECT_EQ(unbase64("++//"), unbase64("--__"));   // the URL-safe alphabet
  EXPECT_EQ(unbase64("++//"), unbase64("  //"));   // '+' decoded as a space by a urlencoded form
  EXPECT_EQ(unbase64("YW\nJj"), "abc");
  EXPECT_THROW(unbase64("YW*j"), Error);
  EXPECT_THROW(unbase64("YQ==YQ=="), Error);
}

}  // namespace
}  // namespace rmbg::server
