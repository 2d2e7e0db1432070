// The checks every API form goes through before any field is parsed, and the two forms' parsers.
#include "server/form_fields.hpp"

#include <gtest/gtest.h>

#include "rmbg/error.hpp"
#include "server/idphoto_request.hpp"
#include "server/remove_request.hpp"

namespace rmbg::server {
namespace {

httplib::MultipartFormDataMap form_with(const std::string& name, const std::string& value) {
  httplib::MultipartFormDataMap form;
  form.emplace("image", httplib::MultipartFormData{"image", "\xFF\xD8", "a.jpg", "image/jpeg"});
  form.emplace(name, httplib::MultipartFormData{name, value, "", ""});
  return form;
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(FormFields, ALongFieldIsRefusedBeforeItIsParsed) {
  const std::string digits(100'000, '9');
  EXPECT_EQ(message_of([&] { parse_idphoto_request(form_with("size", digits + "x45mm")); }),
            "field 'size': '99999999999999999999...' is too long (100005 characters; at most 64)");
  EXPECT_EQ(message_of([&] { parse_remove_request(form_with("bg", digits), "isnet"); }),
            "field 'bg': '99999999999999999999...' is too long (100000 characters; at most 64)");
  // A long field name is not echoed whole either.
  EXPECT_EQ(message_of([&] { parse_remove_request(form_with(std::string(1000, 'n'), "1"), "isnet"); }),
            "'nnnnnnnnnnnnnnnnnnnn...' is too long (1000 characters; at most 64)");
  // The image itself has the upload limit, not this one.
  EXPECT_NO_THROW(form_image(form_with("format", "png"), {"image", "format"}));
}

TEST(FormFields, NumbersOutOfRangeAreSaidToBe) {
  EXPECT_EQ(parse_int("-42"), -42);
  EXPECT_EQ(message_of([] { parse_int("99999999999999999999"); }),
            "'99999999999999999999' is out of range (-2147483648 to 2147483647)");
  EXPECT_EQ(message_of([] { parse_int("12abc"); }), "'12abc' is not a whole number");
  EXPECT_EQ(message_of([&] { parse_idphoto_request(form_with("size", "99999999999999999999x45mm")); }),
            "field 'size': 99999999999999999999 is too large for a side of a photo (at most 100000 mm or px)");
  EXPECT_EQ(message_of([&] {
              auto form = form_with("size", "1inch");
              form.emplace("kb", httplib::MultipartFormData{"kb", "4294967296", "", ""});
              parse_idphoto_request(form);
            }),
            "field 'kb': '4294967296' is out of range (-2147483648 to 2147483647)");
}

}  // namespace
}  // namespace rmbg::server
