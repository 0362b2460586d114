import Foundation
import ModelFormats
import Tensors

extension ArtifactCache {
    /// `artifact.json` as `save` writes it, read back: the one reader of that format (the cache
    /// and the head analysis both read through it). Its model, method and task are left out:
    /// the folder names them.
    struct StoredRecord: Decodable {
        /// The settings that named the artifact; nil when absent or not strings.
        var settings: [String: String]?
        /// The hash of `settings` (`ArtifactCache.hash`); nil when absent.
        var settingsHash: String?
        /// Free-form facts; nil when absent or not strings.
        var facts: [String: String]?

        enum CodingKeys: String, CodingKey {
            case settings, facts
            case settingsHash = "settings_hash"
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
