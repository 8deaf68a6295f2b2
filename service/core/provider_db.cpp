// SPDX-License-Identifier: GPL-2.0-or-later
#include "provider_db.h"

#include <expat.h>

#include <memory>
#include <vector>

#include <fmt/format.h>

namespace dialupd {
namespace {

// Walks the document once (expat's stream parser: no tree is built), keeping for each of the
// two possible MNC lengths the first internet APN of the first matching provider that has one.
class Walker {
public:
    Walker(std::string mcc, std::string mnc2, std::string mnc3)
        : mcc_(std::move(mcc)), mnc2_(std::move(mnc2)), mnc3_(std::move(mnc3)) {}

    void start(std::string_view element, const XML_Char** attributes) {
        path_.emplace_back(element);
        text_.clear();
        if (depth() == 1) {
            if (element != "serviceproviders")
                throw ProviderDatabaseError("the root element is not <serviceproviders>");
            sawRoot_ = true;
        } else if (inProvider() && depth() == 3 && element == "provider") {
            provider_ = Provider{};
        } else if (element == "network-id" && under("gsm")) {
            std::string_view mcc = attribute(attributes, "mcc");
            std::string_view mnc = attribute(attributes, "mnc");
            if (mcc == mcc_ && mnc == mnc3_) provider_.matches3 = std::string(mnc);
            if (mcc == mcc_ && mnc == mnc2_) provider_.matches2 = std::string(mnc);
        } else if (element == "apn" && under("gsm")) {
            apn_ = Apn{};
            apn_.value = attribute(attributes, "value");
        } else if (element == "usage" && under("apn")) {
            apn_.hasUsage = true;
            if (attribute(attributes, "type") == "internet") apn_.internet = true;
        }
    }

    void text(std::string_view chunk) {
        // Only the leaves we read; a bound, for a hostile file.
        if (text_.size() + chunk.size() <= 4096) text_.append(chunk);
    }

    void end() {
        const std::string& element = path_.back();
        if (element == "name" && depth() == 4 && provider_.name.empty() && parent() == "provider") {
            provider_.name = trimmed(text_);
        } else if (under("apn") && depth() >= 2) {
            if (element == "name" && apn_.name.empty()) apn_.name = trimmed(text_);
            if (element == "username") apn_.username = trimmed(text_);
            if (element == "password") apn_.password = trimmed(text_);
        }
        if (element == "apn" && under("gsm")) finishApn();
        if (element == "provider") provider_ = Provider{};
        path_.pop_back();
        text_.clear();
    }

    bool sawRoot() const { return sawRoot_; }
    // The 3-digit match if any (it is the longer, surer one), else the 2-digit one.
    std::optional<ProviderApn> result() const { return found3_ ? found3_ : found2_; }
    bool done() const { return found3_.has_value(); }  // nothing later can beat it

private:
    struct Provider {
        std::string name;
        std::optional<std::string> matches2, matches3;
    };
    struct Apn {
        std::string value, name, username, password;
        bool hasUsage = false;
        bool internet = false;
    };

    size_t depth() const { return path_.size(); }
    bool inProvider() const { return depth() >= 3 && path_[1] == "country"; }
    const std::string& parent() const { return path_[path_.size() - 2]; }
    bool under(std::string_view element) const { return depth() >= 2 && parent() == element; }

    static std::string_view attribute(const XML_Char** attributes, std::string_view name) {
        for (size_t i = 0; attributes[i] && attributes[i + 1]; i += 2)
            if (name == attributes[i]) return attributes[i + 1];
        return {};
    }
    static std::string trimmed(std::string_view text) {
        const char* space = " \t\r\n";
        size_t first = text.find_first_not_of(space);
        if (first == std::string_view::npos) return {};
        return std::string(text.substr(first, text.find_last_not_of(space) - first + 1));
    }

    void finishApn() {
        // <network-id> comes before the <apn>s in the schema: the provider's matches are known.
        if (apn_.value.empty() || (apn_.hasUsage && !apn_.internet)) return;
        auto keep = [this](std::optional<ProviderApn>& slot, const std::string& mnc) {
            if (!slot)
                slot = ProviderApn{provider_.name, mcc_, mnc, apn_.value, apn_.name, apn_.username, apn_.password};
        };
        if (provider_.matches3) keep(found3_, *provider_.matches3);
        if (provider_.matches2) keep(found2_, *provider_.matches2);
    }

    std::string mcc_, mnc2_, mnc3_;
    std::vector<std::string> path_;
    std::string text_;
    Provider provider_;
    Apn apn_;
    bool sawRoot_ = false;
    std::optional<ProviderApn> found2_, found3_;
};

struct ParserDeleter {
    void operator()(XML_Parser parser) const { XML_ParserFree(parser); }
};

struct Context {
    Walker* walker;
    XML_Parser parser;
    std::string error;  // an exception does not cross expat's C frames: kept here instead
};

}  // namespace

std::optional<ProviderApn> findProviderApn(std::string_view xml, std::string_view imsi) {
    if (imsi.size() < 6 || imsi.size() > 15) return std::nullopt;
    for (char c : imsi)
        if (c < '0' || c > '9') return std::nullopt;
    Walker walker(std::string(imsi.substr(0, 3)), std::string(imsi.substr(3, 2)), std::string(imsi.substr(3, 3)));

    std::unique_ptr<XML_ParserStruct, ParserDeleter> parser(XML_ParserCreate("UTF-8"));
    if (!parser) throw std::bad_alloc();
    Context context{&walker, parser.get(), {}};
    XML_SetUserData(parser.get(), &context);
    // The DOCTYPE names a DTD: expat reads no external entity unless asked, and is not asked.
    XML_SetElementHandler(
        parser.get(),
        [](void* data, const XML_Char* name, const XML_Char** attributes) {
            auto* context = static_cast<Context*>(data);
            try {
                context->walker->start(name, attributes);
                return;
            } catch (const ProviderDatabaseError& error) {
                context->error = error.what();
            }
            XML_StopParser(context->parser, XML_FALSE);
        },
        [](void* data, const XML_Char*) {
            auto* context = static_cast<Context*>(data);
            context->walker->end();
            // The 3-digit match is final: the rest of the file need not be read.
            if (context->walker->done()) XML_StopParser(context->parser, XML_FALSE);
        });
    XML_SetCharacterDataHandler(parser.get(), [](void* data, const XML_Char* text, int length) {
        static_cast<Context*>(data)->walker->text(std::string_view(text, static_cast<size_t>(length)));
    });
    // Fed in chunks: XML_Parse takes an int length.
    constexpr size_t kChunk = 1 << 20;
    XML_Status status = XML_STATUS_OK;
    for (size_t at = 0; status == XML_STATUS_OK;) {
        size_t size = std::min(kChunk, xml.size() - at);
        bool last = at + size == xml.size();
        status = XML_Parse(parser.get(), xml.data() + at, static_cast<int>(size), last);
        at += size;
        if (last) break;
    }
    if (!context.error.empty()) throw ProviderDatabaseError(context.error);
    if (status == XML_STATUS_ERROR && XML_GetErrorCode(parser.get()) != XML_ERROR_ABORTED)
        throw ProviderDatabaseError(fmt::format("not well-formed XML at line {}: {}",
                                                XML_GetCurrentLineNumber(parser.get()),
                                                XML_ErrorString(XML_GetErrorCode(parser.get()))));
    if (!walker.sawRoot()) throw ProviderDatabaseError("no <serviceproviders> element");
    return walker.result();
}

std::string describe(const ProviderApn& entry) {
    std::string line = entry.apn;
    if (!entry.apnName.empty()) line += fmt::format(" ({})", entry.apnName);
    line += fmt::format(" of {}, MCC {} MNC {}", entry.provider.empty() ? "an unnamed provider" : entry.provider,
                        entry.mcc, entry.mnc);
    if (!entry.username.empty()) line += fmt::format(", user {}", entry.username);
    if (!entry.password.empty()) line += ", with a password";
    return line;
}

}  // namespace dialupd
