import Foundation
import ModelFormats
import Tensors

extension ArtifactCache {
    /// `artifact.json`: the one reader and writer of that format (the cache and the head analysis
    /// both read through it). Its model, method and task are written for a reader of the file
    /// and not read back: the folder names them.
    struct StoredRecord: Codable {
        var model: String?
        var method: String?
        var task: String?
        /// The settings that named the artifact; nil when absent or not strings.
        var settings: [String: String]?
        /// The hash of `settings` (`SettingsText.hash`); nil when absent.
        var settingsHash: String?
        /// Free-form facts; nil when absent or not strings.
        var facts: [String: String]?

        enum CodingKeys: String, CodingKey {
            case model, method, task, settings, facts
            case settingsHash = "settings_hash"
        }

        init(model: String, method: MethodName, task: String, settings: SettingsText, facts: [String: String]) {
            self.model = model
            self.method = method.description
            self.task = task
            self.settings = settings.values
            self.settingsHash = settings.hash
            self.facts = facts
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // Lenient on the free-form maps, as the cache has always been: a wrong type reads as absent.
            settings = try? c.decodeIfPresent([String: String].self, forKey: .settings)
            settingsHash = try? c.decodeIfPresent(String.self, forKey: .settingsHash)
            facts = try? c.decodeIfPresent([String: String].self, forKey: .facts)
        }

        /// - Throws: `DecodingError` when `json` is not a JSON object.
        static func decode(_ json: Data) throws -> StoredRecord {
            try JSONDecoder().decode(StoredRecord.self, from: json)
        }

        /// Pretty-printed JSON with sorted keys.
        func encoded() throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return try encoder.encode(self)
        }
    }

    /// Every tensor of `artifact.safetensors` as Float32.
    /// - Throws: what reading or parsing the safetensors file throws.
    static func readTensors(_ url: URL) throws -> [String: Tensor] {
        let file = try SafetensorsFile(contentsOf: url)
        var tensors = [String: Tensor]()
        for name in file.tensorNames {
            tensors[name] = Tensor(shape: try file.info(named: name).shape, scalars: try file.floats(named: name))
        }
        return tensors
    }
}
