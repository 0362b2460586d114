import Foundation

extension Tokenizer {
    /// The token ids of `text`.
    ///
    /// - Parameters:
    ///   - addSpecialTokens: put BOS first when the model adds it (`addsBOS`). Special tokens
    ///     written in the text are matched either way.
    /// - Returns: ids in `0..<vocabularySize`.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var output: [Int] = []
        output.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecialTokens && vocabulary.addsBOS, let bos = vocabulary.bosTokenId { output.append(bos) }
        let normalized = vocabulary.normalizesToNFC ? text.precomposedStringWithCanonicalMapping : text
        let utf8 = Array(normalized.utf8)
        var workspace = EncodingWorkspace()
        utf8.withUnsafeBufferPointer { text in
            for segment in specialTokens.segments(of: text) {
                switch segment {
                case .token(let id):
                    output.append(id)
                case .text(let range):
                    let piece = UnsafeBufferPointer(rebasing: text[range])
                    switch vocabulary.model {
                    case .byteLevelBPE(let preTokenizer):
                        encodeByteLevel(piece, preTokenizer: preTokenizer, workspace: &workspace, output: &output)
                    case .characterBPE:
                        escapeSpaces(piece, prefixed: prefixesSpace(at: range.lowerBound), into: &workspace.buffer)
                        encodeCharacters(&workspace, output: &output)
                    case .sentencePiece:
                        escapeSpaces(piece, prefixed: prefixesSpace(at: range.lowerBound), into: &workspace.buffer)
                        encodeSentencePiece(&workspace, output: &output)
                    }
                }
            }
        }
        return output
    }

    private func prefixesSpace(at offset: Int) -> Bool {
        switch vocabulary.spacePrefix {
        case .never: return false
        case .first: return offset == 0
        case .always: return true
        }
    }

    /// `buffer` ← ("▁" if `prefixed`) + text with every " " replaced by "▁".
    private func escapeSpaces(_ text: UnsafeBufferPointer<UInt8>, prefixed: Bool, into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        func appendSpaceMark() {
            buffer.append(0xE2)
            buffer.append(0x96)
            buffer.append(0x81)
        }
        if prefixed { appendSpaceMark() }
        for byte in text {
            if byte == 0x20 { appendSpaceMark() } else { buffer.append(byte) }
        }
    }

    // MARK: Byte-level BPE

    private func encodeByteLevel(
        _ text: UnsafeBufferPointer<UInt8>, preTokenizer: PreTokenizer,
        workspace: inout EncodingWorkspace, output: inout [Int]
    ) {
        let classes = ScalarClasses(text)
        workspace.words.removeAll(keepingCapacity: true)
        preTokenizer.split(classes, into: &workspace.words)
        for word in workspace.words {
            let bytes = classes.byteOffsets[word.lowerBound]..<classes.byteOffsets[word.upperBound]
            let wordBytes = UnsafeBufferPointer(rebasing: text[bytes])
            if vocabulary.ignoresMerges {
                let whole = pieces.id(of: wordBytes)
                if whole >= 0 {
                    output.append(whole)
                    continue
                }
            }
            workspace.symbols.removeAll()
            for (offset, byte) in wordBytes.enumerated() {
                workspace.symbols.append(start: offset, length: 1, id: Int(byteTokens[Int(byte)]))
            }
            mergeByRank(&workspace, output: &output)
        }
    }

    // MARK: Character BPE with byte fallback

    private func encodeCharacters(_ workspace: inout EncodingWorkspace, output: inout [Int]) {
        let unknown = vocabulary.unknownTokenId ?? -1
        workspace.buffer.withUnsafeBufferPointer { text in
            if vocabulary.ignoresMerges {
                let whole = pieces.id(of: text)
                if whole >= 0 {
                    output.append(whole)
                    return
                }
            }
            workspace.symbols.removeAll()
            var offset = 0
            while offset < text.count {
                let width = Self.utf8Width(text[offset])
                let end = min(offset + width, text.count)
                let id = pieces.id(of: UnsafeBufferPointer(rebasing: text[offset..<end]))
                if id >= 0 {
                    workspace.symbols.append(start: offset, length: end - offset, id: id)
                } else if vocabulary.byteFallback && (offset..<end).allSatisfy({ byteTokens[Int(text[$0])] >= 0 }) {
                    for k in offset..<end { workspace.symbols.append(start: k, length: 1, id: Int(byteTokens[Int(text[k])])) }
                } else if let last = workspace.symbols.id.last, last == Int32(unknown), unknown >= 0 {
                    // fuse_unk: consecutive unknown characters become one unknown token.
                    workspace.symbols.length[workspace.symbols.count - 1] += Int32(end - offset)
                } else {
                    workspace.symbols.append(start: offset, length: end - offset, id: unknown)
                }
                offset = end
            }
        }
        mergeByRank(&workspace, output: &output)
    }

    /// Merges adjacent symbols by rule rank until no rule applies, then appends their ids
    /// (symbols that spell no token are dropped, or become UNK when there is one).
    private func mergeByRank(_ workspace: inout EncodingWorkspace, output: inout [Int]) {
        let count = workspace.symbols.count
        guard count > 0 else { return }
        Self.mergeAll(&workspace) { left, right, symbols in
            guard let rule = merges.rule(symbols.id[Int(left)], symbols.id[Int(right)]) else { return nil }
            return MergeCandidate(
                cost: Float(rule.rank), left: left, right: right,
                length: symbols.length[Int(left)] + symbols.length[Int(right)], result: rule.result)
        }
        var index = 0
        while index < count {
            let id = Int(workspace.symbols.id[index])
            if id >= 0 {
                output.append(id)
            } else if let unknown = vocabulary.unknownTokenId {
                output.append(unknown)
            }
            index = Int(workspace.symbols.next[index])
        }
    }

    // MARK: SentencePiece

    /// llama.cpp's SPM: repeatedly merge the adjacent pair whose concatenation is the
    /// highest-scoring token (leftmost on ties); then each symbol is its token, or its bytes'
    /// `<0xNN>` tokens, or UNK.
    private func encodeSentencePiece(_ workspace: inout EncodingWorkspace, output: inout [Int]) {
        let scores = vocabulary.scores
        workspace.buffer.withUnsafeBufferPointer { text in
            workspace.symbols.removeAll()
            var offset = 0
            while offset < text.count {
                let end = min(offset + Self.utf8Width(text[offset]), text.count)
                workspace.symbols.append(
                    start: offset, length: end - offset,
                    id: pieces.id(of: UnsafeBufferPointer(rebasing: text[offset..<end])))
                offset = end
            }
            let count = workspace.symbols.count
            guard count > 0 else { return }
            Self.mergeAll(&workspace) { left, right, symbols in
                // Adjacent symbols are adjacent bytes: the merged piece is one slice of the text.
                let start = Int(symbols.start[Int(left)])
                let end = Int(symbols.start[Int(right)] + symbols.length[Int(right)])
                let id = pieces.id(of: UnsafeBufferPointer(rebasing: text[start..<end]))
                guard id >= 0 else { return nil }
                return MergeCandidate(
                    cost: -(scores.isEmpty ? 0 : scores[id]), left: left, right: right,
                    length: Int32(end - start), result: Int32(id))
            }
            var index = 0
            while index < count {
                let id = Int(workspace.symbols.id[index])
                if id >= 0 {
                    output.append(id)
                } else {
                    let start = Int(workspace.symbols.start[index])
                    for k in start..<start + Int(workspace.symbols.length[index]) {
                        let byteToken = Int(byteTokens[Int(text[k])])
                        if byteToken >= 0 {
                            output.append(byteToken)
                        } else if let unknown = vocabulary.unknownTokenId {
                            output.append(unknown)
                        }
                    }
                }
                index = Int(workspace.symbols.next[index])
            }
        }
    }

    /// Queues a candidate for every adjacent pair, then applies the best current candidate until
    /// none is left; after each merge the merged symbol's new neighbour pairs are queued.
    /// - Parameter candidate: the merge of symbols (left, right), or nil when they cannot merge.
    private static func mergeAll(
        _ workspace: inout EncodingWorkspace, candidate: (Int32, Int32, SymbolList) -> MergeCandidate?
    ) {
        let count = workspace.symbols.count
        workspace.queue.removeAll()
        for i in 0..<max(count - 1, 0) {
            if let pair = candidate(Int32(i), Int32(i + 1), workspace.symbols) { workspace.queue.push(pair) }
        }
        while let best = workspace.queue.pop() {
            guard workspace.symbols.isCurrent(best) else { continue }
            workspace.symbols.merge(best)
            let left = best.left
            let previous = workspace.symbols.previous[Int(left)]
            let next = workspace.symbols.next[Int(left)]
            if previous >= 0, let pair = candidate(previous, left, workspace.symbols) { workspace.queue.push(pair) }
            if Int(next) < count, let pair = candidate(left, next, workspace.symbols) { workspace.queue.push(pair) }
        }
    }

    /// Byte count of the UTF-8 sequence led by `lead` (1 for stray continuation bytes).
    @inline(__always)
    static func utf8Width(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
