// SPDX-License-Identifier: Apache-2.0
// Claims: the validated ID token payload behind a small read-only API.
#include <nativeauth/session.hpp>

#include "core/json_util.hpp"

namespace nativeauth {

struct Claims::Data {
  core::Json json = core::Json::object();
};

Claims::Claims() : data_(std::make_shared<const Data>()) {}

Claims::Claims(const std::string &json_object) {
  auto d = std::make_shared<Data>();
  if (auto parsed = core::parse_object(json_object)) d->json = std::move(*parsed);
  data_ = std::move(d);
}

Claims::Claims(const Claims &) = default;
Claims &Claims::operator=(const Claims &) = default;
Claims::Claims(Claims &&) noexcept = default;
Claims &Claims::operator=(Claims &&) noexcept = default;
Claims::~Claims() = default;

std::string Claims::subject() const { return string("sub").value_or(""); }
std::string Claims::issuer() const { return string("iss").value_or(""); }

std::optional<std::string> Claims::string(const std::string &name) const {
  if (!data_) return std::nullopt;
  return core::get_string(data_->json, name.c_str());
}

std::optional<std::int64_t> Claims::integer(const std::string &name) const {
  if (!data_) return std::nullopt;
  return core::get_int(data_->json, name.c_str());
}

bool Claims::contains(const std::string &name) const { return data_ && data_->json.contains(name); }

std::string Claims::json() const {
  if (!data_) return "{}";
  return data_->json.dump(-1, ' ', false, core::Json::error_handler_t::replace);
}

}  // namespace nativeauth
