// SPDX-License-Identifier: GPL-2.0-or-later
// The journal gets clean text, whatever a log line quotes: an spdlog sink that passes every
// message through sanitizeText before the sink it wraps formats and writes it. A line can then
// neither carry a terminal escape sequence to whoever reads the journal, nor forge a second
// journal entry with a newline, nor hold bytes that are not UTF-8.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <spdlog/sinks/sink.h>

#include "text.h"

namespace dialupd {

class SanitizingSink final : public spdlog::sinks::sink {
public:
    explicit SanitizingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

    void log(const spdlog::details::log_msg& message) override {
        std::string_view payload(message.payload.data(), message.payload.size());
        if (isCleanText(payload)) {
            inner_->log(message);
            return;
        }
        std::string clean = sanitizeText(payload);
        spdlog::details::log_msg copy = message;
        copy.payload = spdlog::string_view_t(clean.data(), clean.size());
        inner_->log(copy);
    }
    void flush() override { inner_->flush(); }
    void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
        inner_->set_formatter(std::move(formatter));
    }

private:
    std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace dialupd
