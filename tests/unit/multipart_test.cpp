#include "server/multipart.hpp"

#include <gtest/gtest.h>

#include "rmbg/error.hpp"

namespace rmbg::server {
namespace {

// A form as browsers and curl send it, with "ending" after the closing boundary.
std::string form_body(const std::string& ending) {
  return "preamble\r\n--XyZ\r\n"
         "Content-Disposition: form-data; name=\"image\"; filename=\"a b.jpg\"\r\n"
         "Content-Type: image/jpeg\r\n\r\n"
         "\xFF\xD8 bytes\r\nwith a line break\r\n"
         "--XyZ\r\n"
         "content-disposition: form-data; name=format\r\n\r\n"
         "webp\r\n"
         "--XyZ--" + ending;
}

TEST(Multipart, ReadsPartsWithOrWithoutTheFinalLineBreak) {
  for (const std::string ending : {"\r\n", ""}) {  // Node 18's fetch sends no final CRLF
    const auto parts = parse_multipart(form_body(ending), "XyZ");
    ASSERT_EQ(parts.size(), 2u);
    const auto& image = parts.find("image")->second;
    EXPECT_EQ(image.filename, "a b.jpg");
    EXPECT_EQ(image.content_type, "image/jpeg");
    EXPECT_EQ(image.content, "\xFF\xD8 bytes\r\nwith a line break");
    EXPECT_EQ(parts.find("format")->second.content, "webp");
  }
}

TEST(Multipart, RefusesIncompleteBodies) {
  const std::string body = form_body("");
  EXPECT_THROW(parse_multipart(body.substr(0, body.size() / 2), "XyZ"), Error);
  EXPECT_THROW(parse_multipart(body, ""), Error);
  EXPECT_THROW(parse_multipart("no parts at all", "XyZ"), Error);
}

TEST(Multipart, FindsTheBoundaryInTheContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=----formdata-undici-0123"), "----formdata-undici-0123");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; boundary=\"a;b\"; charset=x"), "a;b");
  EXPECT_EQ(multipart_boundary("application/json"), "");
}

}  // namespace
}  // namespace rmbg::server
