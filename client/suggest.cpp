// SPDX-License-Identifier: GPL-2.0-or-later
#include "suggest.h"

#include <algorithm>
#include <numeric>

namespace dialupctl {

size_t editDistance(std::string_view a, std::string_view b) {
    // The optimal string alignment distance: insertions, deletions, substitutions and swaps of
    // two neighbours ("stauts" is one step from "status", as from "stats"). Three rows of the
    // table at a time.
    std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), row(b.size() + 1);
    std::iota(previous.begin(), previous.end(), 0);
    for (size_t i = 1; i <= a.size(); ++i) {
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            row[j] = std::min({previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                row[j] = std::min(row[j], before[j - 2] + 1);
        }
        std::swap(before, previous);
        std::swap(previous, row);
    }
    return previous[b.size()];
}

std::optional<std::string> closestName(std::string_view word, const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    size_t bestDistance = std::min<size_t>(2, word.size() > 0 ? word.size() - 1 : 0);
    // The first of equally near candidates wins: the commands come in the order --help lists them.
    for (const std::string& candidate : candidates) {
        size_t distance = editDistance(word, candidate);
        if (distance <= bestDistance && (!best || distance < editDistance(word, *best))) best = candidate;
    }
    return best;
}

}  // namespace dialupctl
