#pragma once
// How errors reach an HTTP client: the status for each error code, and the JSON body
// {"error": {"code": "...", "message": "..."}} that every error response carries.
#include <string>
#include <string_view>

#include "rmbg/error.hpp"

namespace httplib {
struct Response;
}

namespace rmbg::server {

// The one place where error codes become HTTP statuses. A client's mistake is a 4xx; only a fault
// of the server itself (a missing model, a failed inference) is a 5xx.
int http_status(ErrorCode code);

// The code of an error status that the HTTP layer produced itself, before any of our handlers
// ran: an unknown route, a body over the limit, or else a malformed request.
ErrorCode code_of_status(int status);

void send_error(httplib::Response& response, const Error& error);
// The same error as remove.bg answers it: {"errors": [{"title", "code", "detail"}]}, with its
// statuses: 400 for anything wrong with the request or the image, 403 for a missing or wrong API
// key, 429 when the queue is full.
int removebg_status(ErrorCode code);
void send_removebg_error(httplib::Response& response, const Error& error);
// For failures that are not an rmbg::Error: always a 500.
void send_internal_error(httplib::Response& response, std::string_view message);

}  // namespace rmbg::server
