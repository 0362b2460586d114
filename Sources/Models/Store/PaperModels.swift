/// The SITE paper's twelve models by their Hugging Face names, for the torch backend. They are
/// not in the catalog (no GGUF wheels): `bench` finds them in the local Hugging Face cache
/// (`hf download NAME` on a connected machine) and never downloads them itself.
public enum PaperModels {
    public struct Entry: Sendable, Equatable {
        /// ORG/NAME on the Hugging Face hub.
        public var name: String
        /// The `model_type` the registry and the worker's site table know it by.
        public var family: String
        /// Whether the reference code loads it in 4-bit NF4 (the 70B, 32B and Mixtral models).
        public var loadedIn4bit: Bool
    }

    public static let all: [Entry] = [
        Entry(name: "meta-llama/Llama-3.1-8B", family: "llama", loadedIn4bit: false),
        Entry(name: "meta-llama/Llama-3.1-8B-Instruct", family: "llama", loadedIn4bit: false),
        Entry(name: "meta-llama/Llama-3.1-70B", family: "llama", loadedIn4bit: true),
        Entry(name: "meta-llama/Llama-3.1-70B-Instruct", family: "llama", loadedIn4bit: true),
        Entry(name: "Qwen/Qwen3-8B", family: "qwen3", loadedIn4bit: false),
        Entry(name: "Qwen/Qwen3-32B", family: "qwen3", loadedIn4bit: true),
        Entry(name: "mistralai/Mistral-7B-v0.3", family: "mistral", loadedIn4bit: false),
        Entry(name: "mistralai/Mistral-7B-Instruct-v0.3", family: "mistral", loadedIn4bit: false),
        Entry(name: "mistralai/Mixtral-8x7B-v0.1", family: "mixtral", loadedIn4bit: true),
        Entry(name: "mistralai/Mixtral-8x7B-Instruct-v0.1", family: "mixtral", loadedIn4bit: true),
        Entry(name: "google/gemma-3-4b-pt", family: "gemma3", loadedIn4bit: false),
        Entry(name: "google/gemma-3-4b-it", family: "gemma3", loadedIn4bit: false),
    ]
}
