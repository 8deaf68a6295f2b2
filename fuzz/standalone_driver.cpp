// SPDX-License-Identifier: GPL-2.0-or-later
// Runs a libFuzzer-style target (LLVMFuzzerTestOneInput) without libFuzzer, so the targets run
// in every build tree with g++:
//   fuzz-X [--runs N] [--seed S] [--max-len L] [--dict FILE] [--artifact-prefix P] PATH...
// replays every file in PATH (files or corpus directories), then feeds N inputs made by
// mutating the corpus: a plain mutation fuzzer, not coverage-guided, and deterministic for a
// given seed and corpus, so a failure in CI replays anywhere. Output is TAP for meson. When an
// input breaks the target (an invariant aborts, a sanitizer reports, a signal), it is written
// to P + "crash-<target>" first, for `fuzz-X FILE` to replay and for the corpus.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

// Sanitizer reports end the run (UBSan would otherwise print and go on, and the test pass).
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:abort_on_error=1:print_stacktrace=1"; }
extern "C" const char* __asan_default_options() { return "abort_on_error=1"; }

namespace {

namespace fs = std::filesystem;

// What the crash path writes out: set before every input, read from a signal handler.
const char* currentData = nullptr;
size_t currentSize = 0;
std::string artifactPath;
volatile sig_atomic_t saved = 0;

void say(const char* text) { [[maybe_unused]] ssize_t ignored = ::write(2, text, std::strlen(text)); }

void saveCurrentInput() {
    if (saved || !currentData) return;
    saved = 1;
    int fd = ::open(artifactPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    for (size_t done = 0; done < currentSize;) {
        ssize_t n = ::write(fd, currentData + done, currentSize - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    ::close(fd);
    say("fuzz: the input that broke the target is in ");
    say(artifactPath.c_str());
    say("\n");
}

void onFatalSignal(int signal) {
    saveCurrentInput();
    ::signal(signal, SIG_DFL);
    ::raise(signal);
}

void run(const std::string& input) {
    currentData = input.data();
    currentSize = input.size();
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    currentData = nullptr;
}

std::string readFile(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// libFuzzer's dictionary format: one `name="value"` (or `"value"`) a line, \\ \" \xNN escapes.
std::vector<std::string> readDictionary(const std::string& path) {
    std::vector<std::string> tokens;
    std::ifstream file(path);
    for (std::string line; std::getline(file, line);) {
        size_t open = line.find('"');
        size_t close = line.rfind('"');
        if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open) continue;
        std::string token;
        for (size_t i = open + 1; i < close; ++i) {
            if (line[i] == '\\' && i + 1 < close) {
                if (line[i + 1] == 'x' && i + 3 < close) {
                    token += static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16));
                    i += 3;
                } else {
                    token += line[++i];
                }
            } else {
                token += line[i];
            }
        }
        tokens.push_back(token);
    }
    return tokens;
}

// splitmix64: the same sequence on every machine (std::uniform_int_distribution is not).
class Random {
public:
    explicit Random(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    size_t below(size_t bound) { return bound == 0 ? 0 : static_cast<size_t>(next() % bound); }

private:
    uint64_t state_;
};

// Bytes and sequences that parsers of outside text get wrong: line ends, NUL, escapes, C1
// controls, invalid and overlong UTF-8, surrogates, noncharacters, signs and big numbers.
const std::vector<std::string> kHostile = {
    "\n",
    "\r",
    "\r\n",
    std::string(1, '\0'),
    "\t",
    " ",
    "\x1b[2J",
    "\x1b]0;x\x07",
    "\x7f",
    "\xc2\x85",
    "\xc2\x9b",
    "\xc0\xaf",
    "\xed\xa0\x80",
    "\xef\xbf\xbe",
    "\xef\xbf\xbf",
    "\xef\xb7\x90",
    "\xf4\x8f\xbf\xbf",
    "\xf4\x90\x80\x80",
    "\xff",
    "\xfe",
    "\x80",
    "\xe2\x82",
    "-",
    "+",
    "0",
    "18446744073709551616",
    "4294967296",
    "2147483648",
    "-1",
    "=",
    ":",
    ": ",
    "[",
    "]",
    "\"",
    "#",
    ";",
};

class Mutator {
public:
    Mutator(const std::vector<std::string>& pool, std::vector<std::string> dictionary, size_t maxLength, uint64_t seed)
        : pool_(pool), dictionary_(std::move(dictionary)), maxLength_(maxLength), random_(seed) {}

    std::string next() {
        std::string data = pool_.empty() ? std::string() : pool_[random_.below(pool_.size())];
        size_t steps = 1 + random_.below(8);
        for (size_t i = 0; i < steps; ++i) mutate(data);
        if (data.size() > maxLength_) data.resize(maxLength_);
        return data;
    }

private:
    std::string token() {
        if (!dictionary_.empty() && random_.below(2) == 0) return dictionary_[random_.below(dictionary_.size())];
        return kHostile[random_.below(kHostile.size())];
    }

    void mutate(std::string& data) {
        size_t at = random_.below(data.size() + 1);
        switch (random_.below(data.empty() ? 2 : 9)) {
            case 0:  // insert a token
                data.insert(at, token());
                break;
            case 1:  // insert random bytes
                for (size_t n = 1 + random_.below(8); n > 0; --n)
                    data.insert(data.begin() + static_cast<long>(at), static_cast<char>(random_.next()));
                break;
            case 2:  // flip a bit
                data[random_.below(data.size())] ^= static_cast<char>(1u << random_.below(8));
                break;
            case 3:  // replace a byte
                data[random_.below(data.size())] = static_cast<char>(random_.next());
                break;
            case 4:  // replace a range with a token
                data.replace(random_.below(data.size()), 1 + random_.below(8), token());
                break;
            case 5:  // delete a range
                data.erase(random_.below(data.size()), 1 + random_.below(std::min<size_t>(data.size(), 64)));
                break;
            case 6: {  // repeat a piece: long lines, floods, many sections
                size_t from = random_.below(data.size());
                std::string piece = data.substr(from, 1 + random_.below(64));
                std::string repeated;
                for (size_t n = 1 + random_.below(64); n > 0 && repeated.size() < maxLength_; --n) repeated += piece;
                data.insert(at, repeated);
                break;
            }
            case 7: {  // splice in part of another input
                if (pool_.empty()) break;
                const std::string& other = pool_[random_.below(pool_.size())];
                if (other.empty()) break;
                size_t from = random_.below(other.size());
                data.insert(at, other.substr(from, 1 + random_.below(other.size() - from)));
                break;
            }
            default: {  // change a digit run into an edge number
                static const char* kNumbers[] = {"0",
                                                 "1",
                                                 "99",
                                                 "255",
                                                 "65535",
                                                 "4294967295",
                                                 "4294967296",
                                                 "18446744073709551615",
                                                 "99999999999999999999",
                                                 "-0"};
                data.insert(at, kNumbers[random_.below(std::size(kNumbers))]);
                break;
            }
        }
    }

    const std::vector<std::string>& pool_;
    std::vector<std::string> dictionary_;
    size_t maxLength_;
    Random random_;
};

int usage(const char* program) {
    std::fprintf(stderr, "usage: %s [--runs N] [--seed S] [--max-len L] [--dict FILE] [--artifact-prefix P] PATH...\n",
                 program);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t runs = 0, seed = 1;
    size_t maxLength = 4096;
    std::string dictionary, artifactPrefix;
    std::vector<fs::path> paths;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : throw std::invalid_argument(arg); };
        try {
            if (arg == "--runs")
                runs = std::stoull(value());
            else if (arg == "--seed")
                seed = std::stoull(value());
            else if (arg == "--max-len")
                maxLength = std::stoull(value());
            else if (arg == "--dict")
                dictionary = value();
            else if (arg == "--artifact-prefix")
                artifactPrefix = value();
            else if (arg.starts_with("--"))
                return usage(argv[0]);
            else
                paths.emplace_back(arg);
        } catch (const std::exception&) {
            return usage(argv[0]);
        }
    }
    artifactPath = artifactPrefix + "crash-" + fs::path(argv[0]).filename().string();
    // Under a sanitizer its own handlers report faults (with the stack) and then call back;
    // without one, the fault signals are caught here. An invariant's abort() is caught always.
    if (__sanitizer_set_death_callback) {
        __sanitizer_set_death_callback(saveCurrentInput);
        ::signal(SIGABRT, onFatalSignal);
    } else {
        for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(signal, onFatalSignal);
    }

    // The corpus in a fixed order: the random run depends on it.
    std::vector<fs::path> files;
    for (const fs::path& path : paths) {
        if (fs::is_directory(path)) {
            for (const auto& entry : fs::recursive_directory_iterator(path))
                if (entry.is_regular_file()) files.push_back(entry.path());
        } else if (fs::exists(path)) {
            files.push_back(path);
        } else {
            std::fprintf(stderr, "%s: no such file or directory\n", path.c_str());
            return 2;
        }
    }
    std::sort(files.begin(), files.end());

    std::printf("TAP version 13\n1..%d\n", runs > 0 ? 2 : 1);
    std::fflush(stdout);
    std::vector<std::string> pool;
    for (const fs::path& file : files) {
        pool.push_back(readFile(file));
        std::fprintf(stderr, "replaying %s (%zu bytes)\n", file.c_str(), pool.back().size());
        run(pool.back());
    }
    std::printf("ok 1 - corpus: %zu input(s) replayed\n", pool.size());
    std::fflush(stdout);
    if (runs == 0) return 0;

    Mutator mutator(pool, dictionary.empty() ? std::vector<std::string>() : readDictionary(dictionary), maxLength,
                    seed);
    for (uint64_t i = 0; i < runs; ++i) run(mutator.next());
    std::printf("ok 2 - random: %llu mutated input(s), seed %llu, at most %zu bytes each\n",
                static_cast<unsigned long long>(runs), static_cast<unsigned long long>(seed), maxLength);
    return 0;
}
