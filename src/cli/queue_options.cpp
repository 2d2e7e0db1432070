#include "queue_options.hpp"

#include <charconv>

#include "rmbg/error.hpp"

namespace rmbg::cli {
namespace {

template <typename Number>
Number number_field(const std::string& name, const std::string& text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw Error(ErrorCode::invalid_argument, "the job's " + name + " '" + text + "' is not a number");
  return value;
}

}  // namespace

void QueueAddress::add_to(CLI::App& app) {
  app.add_option("--redis", url,
                 "The Redis server that holds the queue: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] "
                 "(default: $RMBG_REDIS, else redis://127.0.0.1:6379)")
      ->envname("RMBG_REDIS")
      ->option_text("URL");
  app.add_option("--queue", name, "The queue's name, to keep batches apart in one Redis (default: rmbg)")
      ->option_text("NAME");
}

queue::Fields JobOptions::fields() const {
  queue::Fields fields{{"mask", output.mask ? "1" : "0"},
                       {"bg", output.background},
                       {"format", output.format},
                       {"depth", std::to_string(output.depth)},
                       {"quality", std::to_string(output.quality)},
                       {"preset", pipeline.preset},
                       {"steps", pipeline.steps},
                       {"max_megapixels", std::to_string(pipeline.max_megapixels)},
                       {"overwrite", overwrite ? "1" : "0"}};
  if (output.crop) fields.emplace_back("crop", std::to_string(*output.crop));
  return fields;
}

JobOptions JobOptions::from(const queue::Fields& fields) {
  JobOptions o;
  for (const auto& [name, value] : fields) {
    if (name == "mask") o.output.mask = value == "1";
    else if (name == "bg") o.output.background = value;
    else if (name == "format") o.output.format = value;
    else if (name == "depth") o.output.depth = number_field<int>(name, value);
    else if (name == "quality") o.output.quality = number_field<int>(name, value);
    else if (name == "crop") o.output.crop = number_field<int>(name, value);
    else if (name == "preset") o.pipeline.preset = value;
    else if (name == "steps") o.pipeline.steps = value;
    else if (name == "max_megapixels") o.pipeline.max_megapixels = number_field<double>(name, value);
    else if (name == "overwrite") o.overwrite = value == "1";
    else throw Error(ErrorCode::invalid_argument, "the job has an option this worker does not know: " + name);
  }
  return o;
}

}  // namespace rmbg::cli
