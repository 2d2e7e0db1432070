#include "redis_client.hpp"

#include <hiredis/hiredis.h>

#include <charconv>
#include <optional>

#include "rmbg/error.hpp"

namespace rmbg::queue {
namespace {

// Longer than any command blocks for (workers block for a second at most), so that only a
// server that stopped answering times out.
constexpr timeval kReplyTimeout{10, 0};
constexpr timeval kConnectTimeout{5, 0};

Error unavailable(const std::string& where, const std::string& what) {
  return Error(ErrorCode::queue_unavailable, "Redis at " + where + ": " + what);
}

Reply convert(const redisReply& raw) {
  Reply reply;
  switch (raw.type) {
    case REDIS_REPLY_INTEGER:
      reply.type = Reply::Type::integer;
      reply.integer = raw.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      reply.type = Reply::Type::text;
      reply.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_ARRAY:
      reply.type = Reply::Type::array;
      for (size_t i = 0; i < raw.elements; ++i) reply.elements.push_back(convert(*raw.element[i]));
      break;
    default:
      break;
  }
  return reply;
}

int whole_number(std::string_view text, const std::string& url) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0)
    throw Error(ErrorCode::invalid_argument,
                "'" + url + "' is not a Redis address like redis://host:6379/0 (a number is wrong)");
  return value;
}

}  // namespace

long long to_integer(std::string_view text) {
  long long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

long long Reply::as_integer() const { return type == Type::integer ? integer : to_integer(text); }

std::vector<std::string> eval(const char* script, const std::vector<std::string>& keys,
                              const std::vector<std::string>& args) {
  std::vector<std::string> command{"EVAL", script, std::to_string(keys.size())};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

RedisAddress RedisAddress::parse(const std::string& url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme))
    throw Error(ErrorCode::invalid_argument, "'" + url + "' is not a Redis address: it starts with redis://");
  RedisAddress address;
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    const size_t colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      address.password = credentials;
    } else {
      address.user = credentials.substr(0, colon);
      address.password = credentials.substr(colon + 1);
    }
    rest = rest.substr(at + 1);
  }
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (slash + 1 < rest.size()) address.database = whole_number(rest.substr(slash + 1), url);
    rest = rest.substr(0, slash);
  }
  if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    address.port = whole_number(rest.substr(colon + 1), url);
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) address.host = rest;
  return address;
}

RedisClient::RedisClient(const RedisAddress& address)
    : where_(address.host + ":" + std::to_string(address.port)),
      context_(redisConnectWithTimeout(address.host.c_str(), address.port, kConnectTimeout), redisFree) {
  if (!context_) throw unavailable(where_, "out of memory");
  if (context_->err) throw unavailable(where_, std::string("cannot connect: ") + context_->errstr);
  redisSetTimeout(context_.get(), kReplyTimeout);
  if (!address.password.empty()) {
    if (address.user.empty()) command({"AUTH", address.password});
    else command({"AUTH", address.user, address.password});
  }
  if (address.database != 0) command({"SELECT", std::to_string(address.database)});
}

RedisClient::~RedisClient() = default;

Reply RedisClient::read_reply() {
  void* raw = nullptr;
  if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr)
    throw unavailable(where_, std::string("connection lost: ") + context_->errstr);
  const std::unique_ptr<redisReply, void (*)(void*)> owned(static_cast<redisReply*>(raw), freeReplyObject);
  if (owned->type == REDIS_REPLY_ERROR) throw unavailable(where_, std::string(owned->str, owned->len));
  return convert(*owned);
}

Reply RedisClient::command(const std::vector<std::string>& args) { return pipeline({args}).front(); }

std::vector<Reply> RedisClient::pipeline(const std::vector<std::vector<std::string>>& commands) {
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK)
      throw unavailable(where_, std::string("cannot send: ") + context_->errstr);
  }
  std::vector<Reply> replies;
  // Every reply is read even after an error reply, so that the connection stays in step.
  std::optional<Error> first_error;
  for (size_t i = 0; i < commands.size(); ++i) {
    try {
      replies.push_back(read_reply());
    } catch (const Error& e) {
      if (context_->err) throw;  // the connection is gone: nothing more will come
      if (!first_error) first_error = e;
      replies.emplace_back();
    }
  }
  if (first_error) throw *first_error;
  return replies;
}

}  // namespace rmbg::queue
