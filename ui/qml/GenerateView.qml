import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Atelier

// The generate form on the left; the image, progress and queue on the right.
SplitView {
    id: view
    required property StudioController controller
    // The chosen model's catalog entry (ModelCatalog roles), or {} for none.
    readonly property var currentModel: modelBox.currentIndex >= 0 && modelBox.count > 0 ? controller.models.get(modelBox.currentIndex) : ({})
    readonly property bool refinable: currentModel.family === "SDXL base"
    property string missingModel    // the recalled image's model when it is not listed by name
    property string missingRefiner  // the recalled image's refiner when it is not listed
    // A recalled image's hashes, by which its renamed files are found: the model's, the refiner's
    // and the VAE's asked of the library now (hash -> "model", "refiner" or "vae"); the networks'
    // ("Lora hashes") by the generation.
    property var hashLookups: ({})
    property bool modelHashPending: false  // the library is hashing its files for missingModel's
    property string recordedVaeHash
    property string recordedLoraHashes
    property bool addonsShown: false
    // A1111's "Resize seed from", kept from a recalled image so that its re-run is exact.
    property int seedResizeFromWidth: 0
    property int seedResizeFromHeight: 0
    // Steps, CFG and sampler a few-step model (Turbo, LCM, Lightning, Hyper-SD) needs, offered
    // when the model or a LoRA of the prompt is one (few_step_defaults.h); {} for none.
    readonly property var fewStep: FewStep.suggest(currentModel.name ?? "", prompt.text)
    property string fewStepDismissed  // the source whose offer the user closed
    readonly property bool fewStepOffered: fewStep.kind !== undefined && fewStepDismissed !== fewStep.source
        && (steps.value !== fewStep.steps || cfg.realValue !== fewStep.cfgScale
            || sampler.currentText !== fewStep.sampler || schedule.currentText !== fewStep.schedule)

    // The add-ons' warnings compare with the chosen model.
    Binding { target: view.controller.addons; property: "modelFamily"; value: view.currentModel.family ?? "" }

    // The form as GenerationParams keys (see ui/params_map.h).
    function currentParameters() {
        return Object.assign({
            prompt: prompt.text,
            negativePrompt: negative.text,
            model: modelBox.currentIndex >= 0 ? controller.models.get(modelBox.currentIndex).path : "",
            vae: vaeBox.value,
            vaeHash: view.recordedVaeHash,
            loraHashes: view.recordedLoraHashes,
            sampler: sampler.currentText,
            schedule: schedule.currentText,
            steps: steps.value,
            cfgScale: cfg.realValue,
            seed: seed.text === "" ? -1 : Number(seed.text),
            variationSeed: variationSeed.text === "" ? -1 : Number(variationSeed.text),
            variationStrength: variationStrength.realValue,
            seedResizeFromWidth: view.seedResizeFromWidth,
            seedResizeFromHeight: view.seedResizeFromHeight,
            width: widthBox.value,
            height: heightBox.value,
            batchCount: batchCount.value,
            batchSize: batchSize.value,
            clipSkip: clipSkip.value,
            noise: noise.currentText,
            initImage: initImage.path,
            denoisingStrength: strength.value,
            resizeMode: resizeMode.currentText,
            refiner: refinable && refinerBox.currentIndex > 0 ? refinerBox.model[refinerBox.currentIndex].path : "",
            refinerSwitchAt: refinerSwitch.realValue
        }, inpaint.parameters(), initImage.path === "" ? hires.parameters() : { hiresFix: false })
    }

    // A new model starts at its family's size, as A1111 users expect.
    function useModelSize() {
        if (currentModel.defaultWidth === undefined) return
        widthBox.value = currentModel.defaultWidth
        heightBox.value = currentModel.defaultHeight
    }

    // Sets the fields `params` has and leaves the others as they are.
    function applyParameters(params) {
        const pick = (box, value) => { const i = box.find(value); if (i >= 0) box.currentIndex = i }
        if (params.prompt !== undefined) prompt.text = params.prompt
        if (params.negativePrompt !== undefined) negative.text = params.negativePrompt
        if (params.model) { const i = controller.models.indexOfPath(params.model); if (i >= 0) modelBox.currentIndex = i }
        if (params.modelName !== undefined) {
            missingModel = params.modelName !== "" && !params.model ? params.modelName : ""
            if (missingModel !== "") findByHash("model", "checkpoint", params.modelHash)
        }
        if (params.vae !== undefined) vaeBox.choose(params.vae)
        if (params.vaeHash !== undefined) recordedVaeHash = params.vaeHash
        if (params.vae !== undefined && !vaeBox.listed(vaeBox.value)) findByHash("vae", "vae", params.vaeHash)
        if (params.loraHashes !== undefined) recordedLoraHashes = params.loraHashes
        if (params.sampler !== undefined) pick(sampler, params.sampler)
        if (params.schedule !== undefined) pick(schedule, params.schedule)
        if (params.steps !== undefined) steps.value = params.steps
        if (params.cfgScale !== undefined) cfg.realValue = params.cfgScale
        if (params.seed !== undefined) seed.text = String(params.seed)
        if (params.variationSeed !== undefined) variationSeed.text = String(params.variationSeed)
        if (params.variationStrength !== undefined) variationStrength.realValue = params.variationStrength
        if (params.seedResizeFromWidth !== undefined) view.seedResizeFromWidth = params.seedResizeFromWidth
        if (params.seedResizeFromHeight !== undefined) view.seedResizeFromHeight = params.seedResizeFromHeight
        if (params.width !== undefined) widthBox.value = params.width
        if (params.height !== undefined) heightBox.value = params.height
        if (params.batchCount !== undefined) batchCount.value = params.batchCount
        if (params.batchSize !== undefined) batchSize.value = params.batchSize
        if (params.clipSkip !== undefined) clipSkip.value = params.clipSkip
        if (params.noise !== undefined) pick(noise, params.noise)
        if (params.initImage !== undefined) initImage.path = params.initImage
        if (params.denoisingStrength !== undefined) strength.value = params.denoisingStrength
        if (params.resizeMode !== undefined) pick(resizeMode, params.resizeMode)
        if (params.refiner !== undefined)
            refinerBox.currentIndex = Math.max(0, refinerBox.model.findIndex(r => r.path === params.refiner))
        if (params.refinerSwitchAt !== undefined) refinerSwitch.realValue = params.refinerSwitchAt
        if (params.refinerName !== undefined) {
            missingRefiner = params.refinerName !== "" && !params.refiner ? params.refinerName : ""
            if (missingRefiner !== "") findByHash("refiner", "checkpoint", params.refinerHash)
        }
        inpaint.apply(params)
        hires.apply(params)
    }

    function findByHash(role, kind, hash) {
        if (!hash) return
        view.hashLookups[hash] = role
        if (role === "model") view.modelHashPending = true
        controller.models.findByHash(kind, hash)
    }
    Connections {
        target: view.controller.models
        function onFoundByHash(kind, hash, path) {
            const role = view.hashLookups[hash]
            if (role === undefined) return
            delete view.hashLookups[hash]
            if (role === "model") view.modelHashPending = false
            if (path === "") return
            if (role === "model") {
                const i = view.controller.models.indexOfPath(path)
                if (i >= 0) { modelBox.currentIndex = i; view.missingModel = "" }
            } else if (role === "refiner") {
                const i = refinerBox.model.findIndex(r => r.path === path)
                if (i > 0) { refinerBox.currentIndex = i; view.missingRefiner = "" }
            } else {
                vaeBox.choose(path.substring(path.lastIndexOf("/") + 1))  // the picker lists VAEs by file name
            }
        }
    }

    function applyFewStepDefaults() {
        applyParameters({ steps: fewStep.steps, cfgScale: fewStep.cfgScale, sampler: fewStep.sampler, schedule: fewStep.schedule })
    }

    // The painted mask is written as a PNG (the init image's size) only now, when it is used.
    function generate() {
        if (sizeProblem.text !== "") return controller.errorOccurred(sizeProblem.text)
        const params = currentParameters()
        if (initImage.hasMask) {
            params.mask = controller.newMaskFile()
            if (!initImage.writeMask(params.mask)) return
        }
        controller.generate(params)
    }

    function setInitImage(path) { initImage.path = path }

    Shortcut { sequences: ["Ctrl+Return", "Ctrl+Enter"]; onActivated: view.generate() }
    Shortcut { sequence: "Escape"; onActivated: view.controller.cancel() }

    // The form scrolls; its Generate button stays in view below it, whatever the window's height.
    ColumnLayout {
        SplitView.preferredWidth: 500
        SplitView.minimumWidth: 500  // the size row's spin boxes and presets need it
        spacing: 0

        ScrollView {
            id: formScroll
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.preferredHeight: 0  // not its content's height: it scrolls that
            contentWidth: availableWidth
            clip: true

            ColumnLayout {
                width: formScroll.availableWidth - 40  // room for the scroll bar
                x: 16
                spacing: 10

                Item { implicitHeight: 4 }
                Label { text: qsTr("Model"); font.bold: true }
                ComboBox {
                    id: modelBox
                    objectName: "modelBox"
                    Layout.fillWidth: true
                    model: view.controller.models
                    textRole: "name"
                    displayText: currentIndex >= 0 ? currentText + "  ·  " + view.controller.models.get(currentIndex).description : qsTr("No model")
                    delegate: ItemDelegate {
                        required property string name
                        required property string description
                        required property string reason
                        required property bool supported
                        required property bool isRefiner
                        required property int index
                        width: ListView.view.width
                        enabled: supported
                        highlighted: modelBox.highlightedIndex === index
                        contentItem: Column {
                            Row {
                                spacing: 8
                                Label { text: name; font.bold: true; opacity: supported ? 1 : 0.5 }
                                // A refiner finishes an SDXL base's image: pick it below the base instead.
                                Label { text: qsTr("refiner"); visible: isRefiner; font.pixelSize: 11; color: "#b39ddb" }
                            }
                            Label { text: supported ? description : reason; font.pixelSize: 11; opacity: 0.6; width: parent.width; elide: Text.ElideRight }
                        }
                    }
                    onActivated: { view.useModelSize(); view.fewStepDismissed = ""; view.missingModel = "" }
                    Component.onCompleted: {
                        const last = view.controller.models.indexOfPath(view.controller.settings.lastModel)
                        currentIndex = last >= 0 ? last : firstSupported()
                        view.useModelSize()
                    }
                    function firstSupported() {
                        for (let i = 0; i < count; ++i) if (view.controller.models.get(i).supported) return i
                        return -1
                    }
                }

                Label {
                    objectName: "missingModel"
                    text: view.modelHashPending ? qsTr("The image's model “%1” is not in the models folders by that name: looking for its hash…").arg(view.missingModel)
                                                : qsTr("The image's model “%1” is not in the models folders").arg(view.missingModel)
                    visible: view.missingModel !== ""
                    color: "#ff8a80"
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }

                Rectangle {
                    objectName: "fewStepOffer"
                    visible: view.fewStepOffered
                    Layout.fillWidth: true
                    implicitHeight: offer.implicitHeight + 12
                    radius: 4
                    color: Qt.rgba(0.49, 0.34, 0.76, 0.2)
                    RowLayout {
                        id: offer
                        anchors { fill: parent; margins: 6; leftMargin: 10 }
                        Label {
                            Layout.fillWidth: true
                            wrapMode: Text.Wrap
                            text: view.fewStep.kind === undefined ? "" :
                                qsTr("“%1” is a %2 model: it wants %3 steps, CFG %4, %5 (%6)").arg(view.fewStep.source).arg(view.fewStep.kind)
                                    .arg(view.fewStep.steps).arg(view.fewStep.cfgScale).arg(view.fewStep.sampler).arg(view.fewStep.schedule)
                        }
                        Button { objectName: "applyFewStep"; text: qsTr("Apply"); flat: true; onClicked: view.applyFewStepDefaults() }
                        ToolButton { text: "✕"; onClicked: view.fewStepDismissed = view.fewStep.source
                            ToolTip.text: qsTr("Keep my settings"); ToolTip.visible: hovered }
                    }
                }

                GridLayout {
                    columns: 2
                    columnSpacing: 12
                    visible: view.refinable
                    Layout.fillWidth: true
                    Label { text: qsTr("Refiner") }
                    ComboBox {
                        id: refinerBox
                        objectName: "refinerBox"
                        Layout.fillWidth: true
                        model: [{ name: qsTr("None"), path: "" }].concat(view.controller.models.refiners)
                        textRole: "name"
                        onActivated: view.missingRefiner = ""
                    }
                    Label { text: qsTr("Refiner switch at"); visible: refinerBox.currentIndex > 0 }
                    DecimalSpinBox {
                        id: refinerSwitch
                        objectName: "refinerSwitch"
                        visible: refinerBox.currentIndex > 0
                        decimals: 2; realFrom: 0.01; realTo: 1; realStep: 0.05
                        realValue: view.controller.defaults.refinerSwitchAt
                        Layout.fillWidth: true
                        ToolTip.text: qsTr("The share of the steps the base runs before the refiner takes over"); ToolTip.visible: hovered
                    }
                }
                Label {
                    text: qsTr("The image's refiner “%1” is not in the models folders").arg(view.missingRefiner)
                    visible: view.missingRefiner !== ""
                    color: "#ff8a80"
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }

                PromptEditor {
                    id: prompt
                    objectName: "prompt"
                    Layout.fillWidth: true
                    label: qsTr("Prompt")
                    placeholder: qsTr("a watercolor fox in a misty forest, (soft light:1.2)")
                    embeddings: view.controller.addons.embeddingVectors
                    warnings: {
                        void view.controller.addons.revision  // checked again when the library or the model changes
                        return view.controller.addons.promptWarnings(text, view.recordedLoraHashes)
                    }
                    accessory: Button {
                        objectName: "addonsButton"
                        text: qsTr("Add-ons")
                        flat: true
                        checkable: true
                        checked: view.addonsShown
                        onToggled: view.addonsShown = checked
                        ToolTip.text: qsTr("LoRAs and embeddings of the library: a click puts one in the prompt"); ToolTip.visible: hovered
                    }
                    onSubmitted: view.generate()
                }
                AddonsPanel {
                    objectName: "addonsPanel"
                    visible: view.addonsShown
                    catalog: view.controller.addons
                    Layout.fillWidth: true
                    onChosen: text => prompt.insertAtCursor(text)
                }
                PromptEditor {
                    id: negative
                    Layout.fillWidth: true
                    label: qsTr("Negative prompt")
                    placeholder: qsTr("blurry, lowres")
                    embeddings: view.controller.addons.embeddingVectors
                    onSubmitted: view.generate()
                }

                GridLayout {
                    columns: 2
                    columnSpacing: 12
                    Layout.fillWidth: true
                    Label { text: qsTr("Sampler") }
                    ComboBox { id: sampler; model: view.controller.samplers; Layout.fillWidth: true
                        Component.onCompleted: currentIndex = find(view.controller.defaults.sampler) }
                    Label { text: qsTr("Schedule") }
                    ComboBox { id: schedule; model: view.controller.schedules; Layout.fillWidth: true }
                    Label { text: qsTr("VAE") }
                    VaePicker {
                        id: vaeBox
                        objectName: "vaeBox"
                        vaes: view.controller.addons.vaes
                        value: view.controller.settings.lastVae
                        Layout.fillWidth: true
                        ToolTip.text: qsTr("Automatic: a VAE named like the model beside it, else the model's own"); ToolTip.visible: hovered
                    }
                    Label { text: qsTr("Steps") }
                    SpinBox { id: steps; from: 1; to: 150; value: view.controller.defaults.steps; editable: true; Layout.fillWidth: true }
                    Label { text: qsTr("CFG scale") }
                    DecimalSpinBox { id: cfg; realFrom: 1; realTo: 30; realStep: 0.5; realValue: view.controller.defaults.cfgScale; Layout.fillWidth: true }
                    Label { text: qsTr("Seed") }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField {
                            id: seed
                            text: "-1"
                            Layout.fillWidth: true
                            validator: RegularExpressionValidator { regularExpression: /-1|\d{1,18}/ }
                            ToolTip.text: qsTr("-1 picks a random seed")
                            ToolTip.visible: hovered
                        }
                        Button { text: "⚄"; flat: true; onClicked: seed.text = "-1"; ToolTip.text: qsTr("Random seed"); ToolTip.visible: hovered }
                        Button { text: "♻"; flat: true; enabled: view.controller.lastSeed >= 0
                            onClicked: seed.text = String(view.controller.lastSeed)
                            ToolTip.text: qsTr("Reuse the last seed"); ToolTip.visible: hovered }
                    }
                    Label { text: qsTr("Variation") }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField {
                            id: variationSeed
                            objectName: "variationSeed"
                            text: "-1"
                            Layout.fillWidth: true
                            validator: RegularExpressionValidator { regularExpression: /-1|\d{1,18}/ }
                            ToolTip.text: qsTr("Variation seed (A1111's): the noise moves towards this seed's by the strength; -1 picks one")
                            ToolTip.visible: hovered
                        }
                        DecimalSpinBox {
                            id: variationStrength
                            objectName: "variationStrength"
                            decimals: 2; realFrom: 0; realTo: 1; realStep: 0.05; realValue: 0
                            Layout.preferredWidth: 110
                            ToolTip.text: qsTr("Variation strength: 0 the seed's image, 1 the variation seed's"); ToolTip.visible: hovered
                        }
                    }
                }

                Label { text: qsTr("Size"); font.bold: true }
                RowLayout {
                    Layout.fillWidth: true
                    SpinBox { id: widthBox; objectName: "width"; Layout.preferredWidth: 130; from: Sizes.minimum; to: 2048; stepSize: Sizes.step; value: view.controller.defaults.width; editable: true
                        onValueModified: value = Sizes.snap(value) }
                    Button { text: "⇄"; flat: true; onClicked: { const w = widthBox.value; widthBox.value = heightBox.value; heightBox.value = w }
                        ToolTip.text: qsTr("Swap width and height"); ToolTip.visible: hovered }
                    SpinBox { id: heightBox; objectName: "height"; Layout.preferredWidth: 130; from: Sizes.minimum; to: 2048; stepSize: Sizes.step; value: view.controller.defaults.height; editable: true
                        onValueModified: value = Sizes.snap(value) }
                    FittedComboBox {
                        // As wide as "Presets", which it always shows, rather than its longest choice.
                        implicitContentWidthPolicy: ComboBox.ContentItemImplicitWidth
                        Layout.fillWidth: true
                        Layout.minimumWidth: implicitWidth
                        model: Sizes.presetsFor(view.currentModel.family ?? "")
                        textRole: "label"
                        displayText: qsTr("Presets")
                        onActivated: index => { widthBox.value = model[index].width; heightBox.value = model[index].height }
                    }
                }
                Label { id: sizeProblem; text: Sizes.problem(widthBox.value, heightBox.value); color: "#ff8a80"; visible: text !== "" }

                GridLayout {
                    columns: 4
                    columnSpacing: 12
                    Layout.fillWidth: true
                    Label { text: qsTr("Batch count") }
                    SpinBox { id: batchCount; from: 1; to: 100; value: 1; editable: true; Layout.fillWidth: true }
                    Label { text: qsTr("Batch size") }
                    SpinBox { id: batchSize; from: 1; to: 8; value: 1; editable: true; Layout.fillWidth: true }
                    Label { text: qsTr("Clip skip") }
                    SpinBox { id: clipSkip; from: 1; to: 12; value: 1; editable: true; Layout.fillWidth: true }
                    Label { text: qsTr("Noise") }
                    ComboBox { id: noise; model: view.controller.noiseSources; Layout.fillWidth: true
                        ToolTip.text: qsTr("A1111's RNG source: CPU gives the same image on every device"); ToolTip.visible: hovered }
                }

                HiresSettings {
                    id: hires
                    objectName: "hiresSettings"
                    controller: view.controller
                    visible: initImage.path === ""  // txt2img's, as in A1111
                    firstPassWidth: widthBox.value
                    firstPassHeight: heightBox.value
                    Layout.fillWidth: true
                }

                InitImagePanel {
                    id: initImage
                    objectName: "initImage"
                    Layout.fillWidth: true
                    targetWidth: widthBox.value
                    targetHeight: heightBox.value
                    resizeMode: resizeMode.currentIndex
                    onPasteRequested: { const pasted = controller.pasteImage(); if (pasted !== "") path = pasted }
                    onFailed: message => view.controller.errorOccurred(message)
                }
                GridLayout {
                    columns: 2
                    visible: initImage.path !== ""
                    Layout.fillWidth: true
                    Label { text: qsTr("Denoising") }
                    RowLayout {
                        Slider { id: strength; from: 0; to: 1; stepSize: 0.01; value: view.controller.defaults.denoisingStrength; Layout.fillWidth: true }
                        Label { text: strength.value.toFixed(2) }
                    }
                    Label { text: qsTr("Resize mode") }
                    ComboBox { id: resizeMode; model: view.controller.resizeModes; Layout.fillWidth: true }
                }

                InpaintSettings {
                    id: inpaint
                    controller: view.controller
                    visible: initImage.path !== ""
                    Layout.fillWidth: true
                    Layout.bottomMargin: 12
                }
            }
        }

        RowLayout {
            objectName: "generateFooter"
            Layout.fillWidth: true
            Layout.leftMargin: 16
            Layout.rightMargin: 24
            Layout.topMargin: 6
            Layout.bottomMargin: 10
            Button {
                objectName: "generateButton"
                text: view.controller.queue.busy ? qsTr("Add to queue") : qsTr("Generate")
                highlighted: true
                Layout.fillWidth: true
                enabled: modelBox.currentIndex >= 0
                onClicked: view.generate()
                ToolTip.text: qsTr("Ctrl+Enter"); ToolTip.visible: hovered
            }
            Button {
                text: qsTr("Cancel")
                enabled: view.controller.queue.busy
                onClicked: view.controller.cancel()
                ToolTip.text: qsTr("Esc"); ToolTip.visible: hovered
            }
        }
    }

    ColumnLayout {
        SplitView.fillWidth: true
        spacing: 8

        ResultPanel {
            controller: view.controller
            Layout.fillWidth: true
            Layout.fillHeight: true
        }
        ProgressPanel {
            controller: view.controller
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
        }
        QueueView {
            controller: view.controller
            Layout.fillWidth: true
            Layout.preferredHeight: 150
            Layout.fillHeight: false
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            Layout.bottomMargin: 8
        }
    }
}
