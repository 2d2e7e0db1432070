#pragma once
// A connection to a Redis server through hiredis, with replies as plain values and failures as
// rmbg::Error(queue_unavailable). One thread at a time: hiredis contexts are not shared.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;

namespace rmbg::queue {

struct Reply {
  enum class Type { nil, integer, text, array };
  Type type = Type::nil;
  long long integer = 0;
  std::string text;  // a bulk string or a status
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::nil; }
  // The integer, or a bulk string read as one (Lua scripts and XINFO answer both ways).
  long long as_integer() const;
};

// The number `text` holds; 0 when it holds none.
long long to_integer(std::string_view text);

// EVAL of a Lua script: the command's arguments.
std::vector<std::string> eval(const char* script, const std::vector<std::string>& keys,
                              const std::vector<std::string>& args = {});

// Where the server is: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]. Throws Error(invalid_argument).
struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user, password;
  int database = 0;
  static RedisAddress parse(const std::string& url);
};

class RedisClient {
 public:
  // Connects, authenticates and selects the database; throws Error(queue_unavailable).
  explicit RedisClient(const RedisAddress& address);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // One command; an error reply or a lost connection throws Error(queue_unavailable).
  Reply command(const std::vector<std::string>& args);
  // Several commands sent at once and their replies read after, in order: one round trip.
  std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands);

 private:
  Reply read_reply();

  std::string where_;  // host:port, for messages
  std::unique_ptr<redisContext, void (*)(redisContext*)> context_;
};

}  // namespace rmbg::queue
