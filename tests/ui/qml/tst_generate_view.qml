import QtQuick
import QtTest
import Atelier

// The generate form: recall of parameters (as the gallery sends them), the shortcuts, the
// Generate button always in view, and the few-step defaults offered.
TestCase {
    id: test
    name: "GenerateView"
    when: windowShown
    width: 1200
    height: 800

    StudioController { id: studio }

    Component {
        id: viewComponent
        GenerateView { controller: studio; width: 1200; height: 800 }
    }

    function test_recall_round_trip() {
        const view = createTemporaryObject(viewComponent, test)
        const recalled = {
            prompt: "a (red:1.2) fox", negativePrompt: "blurry", sampler: "DPM++ 2M", schedule: "Karras",
            steps: 31, cfgScale: 5.5, seed: 1234567890123, width: 768, height: 512, batchCount: 3, batchSize: 2,
            clipSkip: 2, noise: "NV", denoisingStrength: 0.4, resizeMode: "Crop and resize", refinerSwitchAt: 0.65,
            vae: "vae-ft-mse-840000-ema-pruned.safetensors", variationSeed: 77, variationStrength: 0.35,
            seedResizeFromWidth: 512, seedResizeFromHeight: 640,
            maskBlur: 12, invertMask: true, maskedContent: "latent nothing", inpaintArea: "Only masked", maskedPadding: 48,
            outpaintLeft: 64, outpaintRight: 0, outpaintTop: 32, outpaintBottom: 128
        }
        view.applyParameters(recalled)
        const form = view.currentParameters()
        for (const key in recalled) compare(form[key], recalled[key], key)
    }

    function test_hires_fix_round_trip_and_only_for_txt2img() {
        const view = createTemporaryObject(viewComponent, test)
        compare(view.currentParameters().hiresFix, false)
        const recalled = { hiresFix: true, hiresUpscaler: "Latent (bicubic antialiased)", hiresScale: 1.5,
                           hiresWidth: 0, hiresHeight: 0, hiresSteps: 7, denoisingStrength: 0.55 }
        view.applyParameters(recalled)
        let form = view.currentParameters()
        for (const key in recalled) compare(form[key], recalled[key], key)
        compare(findChild(view, "hiresTarget").text, "→ 768 × 768")  // the form's 512² by 1.5

        view.applyParameters({ hiresWidth: 1024, hiresHeight: 640 })
        form = view.currentParameters()
        compare(form.hiresWidth, 1024)
        compare(form.hiresHeight, 640)
        verify(!findChild(view, "hiresScale").enabled)  // a size given: the scale is not used

        view.applyParameters({ hiresUpscaler: "4x-NotInTheLibrary" })
        compare(findChild(view, "hiresSettings").missingUpscaler, "4x-NotInTheLibrary")
        compare(view.currentParameters().hiresUpscaler, "Latent (bicubic antialiased)")

        view.setInitImage(testDataDir + "/upscalers/picture.png")  // img2img: A1111 has no hires fix there
        verify(!findChild(view, "hiresSettings").visible)
        compare(view.currentParameters().hiresFix, false)
    }

    function test_recall_keeps_fields_it_lacks() {
        const view = createTemporaryObject(viewComponent, test)
        view.applyParameters({ steps: 12 })
        view.applyParameters({ prompt: "only a prompt" })
        compare(view.currentParameters().steps, 12)
        compare(view.currentParameters().prompt, "only a prompt")
    }

    function test_refiner_only_with_an_sdxl_base() {
        const view = createTemporaryObject(viewComponent, test)
        verify(!view.refinable)  // no SDXL base listed here
        view.applyParameters({ refiner: "/models/refiner.safetensors" })
        compare(view.currentParameters().refiner, "")
        compare(view.currentParameters().refinerSwitchAt, studio.defaults.refinerSwitchAt)
    }

    function test_an_unlisted_refiner_is_named() {
        const view = createTemporaryObject(viewComponent, test)
        view.applyParameters({ refinerName: "sd_xl_refiner_1.0", refiner: "" })
        compare(view.missingRefiner, "sd_xl_refiner_1.0")
        view.applyParameters({ refinerName: "", refiner: "" })
        compare(view.missingRefiner, "")
    }

    // A recalled image's files not listed by name are asked of the library by hash; what it
    // finds is chosen, and the networks' hashes go with the form to the generation.
    function test_recalled_files_are_looked_up_by_hash() {
        const view = createTemporaryObject(viewComponent, test)
        view.applyParameters({ modelName: "renamed-away", modelHash: "0123456789", vae: "old-name.safetensors",
                               vaeHash: "abcdef0123", loraHashes: "fox: 3ec40ca25616" })
        compare(view.missingModel, "renamed-away")
        verify(view.modelHashPending)
        compare(findChild(view, "missingModel").text.indexOf("looking for its hash") >= 0, true)
        // As the library answers (queued, after this function's own calls):
        studio.models.foundByHash("vae", "abcdef0123", "/library/models/VAE/new-name.safetensors")
        studio.models.foundByHash("checkpoint", "0123456789", "")
        verify(!view.modelHashPending)
        compare(view.missingModel, "renamed-away")  // none has that hash
        const form = view.currentParameters()
        compare(form.vae, "new-name.safetensors")
        compare(form.vaeHash, "abcdef0123")
        compare(form.loraHashes, "fox: 3ec40ca25616")
        const warnings = studio.addons.promptWarnings("a fox <lora:fox:1>", form.loraHashes)
        compare(warnings.length, 1)
        verify(warnings[0].indexOf("3ec40ca25616") >= 0, warnings[0])

        view.applyParameters({ modelName: "", vae: "auto", vaeHash: "", loraHashes: "" })  // an image without them
        compare(view.missingModel, "")
        compare(view.currentParameters().loraHashes, "")
    }

    function test_vae_choice() {
        const view = createTemporaryObject(viewComponent, test)
        const box = findChild(view, "vaeBox")
        compare(view.currentParameters().vae, studio.settings.lastVae)
        view.applyParameters({ vae: "None" })  // as A1111 spells its choices
        compare(view.currentParameters().vae, "none")
        compare(box.currentText, "None")
        view.applyParameters({ vae: "Automatic" })
        compare(view.currentParameters().vae, "auto")
        view.applyParameters({ vae: "unlisted.safetensors" })
        compare(view.currentParameters().vae, "unlisted.safetensors")
        verify(box.currentText.startsWith("unlisted.safetensors"), box.currentText)
    }

    function test_unknown_sampler_is_ignored() {
        const view = createTemporaryObject(viewComponent, test)
        const before = view.currentParameters().sampler
        view.applyParameters({ sampler: "No Such Sampler" })
        compare(view.currentParameters().sampler, before)
    }

    function test_ctrl_up_and_down_keys_in_prompt_editor() {
        const view = createTemporaryObject(viewComponent, test)
        view.applyParameters({ prompt: "a cat" })
        const area = findChild(findChild(view, "prompt"), "textArea")
        area.forceActiveFocus()
        area.select(2, 5)
        keyClick(Qt.Key_Up, Qt.ControlModifier)
        compare(view.currentParameters().prompt, "a (cat:1.1)")
        compare(area.selectedText, "cat")
        keyClick(Qt.Key_Down, Qt.ControlModifier)
        compare(view.currentParameters().prompt, "a cat")
    }

    function test_token_counter_label_follows_text() {
        const view = createTemporaryObject(viewComponent, test)
        view.applyParameters({ prompt: "a photo of a cat" })
        const label = findChild(view, "tokenCounter")
        compare(label.text, "5/75")
    }

    // Heights of the Generate tab in an 860-pixel window (less the tool bar) and smaller, with
    // an init image so that the form is at its longest.
    function test_generate_button_stays_in_view() {
        for (const height of [812, 600, 420]) {
            const view = createTemporaryObject(viewComponent, test, { height: height })
            view.setInitImage(testDataDir + "/upscalers/picture.png")
            const button = findChild(view, "generateButton")
            verify(button.height > 0)
            const inView = () => { const top = button.mapToItem(view, 0, 0).y; return top >= 0 && top + button.height <= height }
            tryVerify(inView, 2000, "the button is below the view at height " + height)  // once laid out
        }
    }

    function test_few_step_defaults_are_offered_not_imposed() {
        const view = createTemporaryObject(viewComponent, test)
        view.applyParameters({ steps: 30, cfgScale: 7, prompt: "a fox" })
        verify(!view.fewStepOffered)
        view.applyParameters({ prompt: "a fox <lora:lcm-lora-sdv1-5:1>" })
        verify(view.fewStepOffered)
        compare(view.currentParameters().steps, 30)  // nothing changes until the user says so
        view.applyFewStepDefaults()  // the offer's Apply
        const form = view.currentParameters()
        compare(form.steps, 6)
        compare(form.cfgScale, 1.5)
        compare(form.sampler, "LCM")
        verify(!view.fewStepOffered)
        view.applyParameters({ prompt: "a fox <lora:sdxl_lightning_8step_lora:1>" })
        verify(view.fewStepOffered)
        view.fewStepDismissed = view.fewStep.source  // the ✕
        verify(!view.fewStepOffered)
    }
}
