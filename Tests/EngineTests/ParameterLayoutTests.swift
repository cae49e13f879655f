// The parameter layout matches transformers' GPT-2 parameter count and names.
import Testing
@testable import Engine

@Test func gpt2SmallLayoutHasTransformersParameterCount() {
    let config = GPT2Config(vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12)
    let layout = ParameterLayout(config: config)
    // transformers: sum(p.numel() for p in GPT2LMHeadModel(GPT2Config()).parameters()) == 124,439,808
    #expect(layout.parameterCount == 124_439_808)
    #expect(layout["h.11.mlp.c_proj.weight"].shape == [3072, 768])
    #expect(layout.tensors.allSatisfy { $0.offset % ParameterLayout.alignment == 0 })
}

@Test func trainableTailStartsAtTheFirstTrainedBlock() {
    let config = GPT2Config(vocabSize: 10, nPositions: 8, nEmbd: 4, nLayer: 3, nHead: 2)
    let layout = ParameterLayout(config: config, scoreHead: true)
    #expect(layout.trainableTail(fromLayer: 2).lowerBound == layout["h.2.ln_1.weight"].offset)
    #expect(layout.trainableTail(fromLayer: 3).lowerBound == layout["ln_f.weight"].offset)
    #expect(layout["score.weight"].shape == [1, 4])
}
