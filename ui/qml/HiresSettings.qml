import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// A1111's hires fix for txt2img: the image made at the form's size, upscaled (by a latent mode
// or a pixel upscaler) by a factor or to a size, then refined by an img2img pass, as
// GenerationParams keys (ui/params_map.h).
GridLayout {
    id: settings
    required property StudioController controller
    readonly property var defaults: controller.defaults
    property int firstPassWidth: 0
    property int firstPassHeight: 0

    function parameters() {
        if (!enable.checked) return { hiresFix: false }
        return {
            hiresFix: true,
            hiresUpscaler: upscaler.currentText,
            hiresScale: scale.realValue,
            hiresWidth: resizeWidth.value,
            hiresHeight: resizeHeight.value,
            hiresSteps: steps.value,
            denoisingStrength: strength.value
        }
    }

    // Sets the keys `params` has.
    function apply(params) {
        if (params.hiresFix !== undefined) enable.checked = params.hiresFix
        if (params.hiresUpscaler !== undefined) {
            const i = upscaler.find(params.hiresUpscaler)
            missingUpscaler = i < 0 ? params.hiresUpscaler : ""
            if (i >= 0) upscaler.currentIndex = i
        }
        if (params.hiresScale !== undefined) scale.realValue = params.hiresScale
        if (params.hiresWidth !== undefined) resizeWidth.value = params.hiresWidth
        if (params.hiresHeight !== undefined) resizeHeight.value = params.hiresHeight
        if (params.hiresSteps !== undefined) steps.value = params.hiresSteps
        if (params.denoisingStrength !== undefined) strength.value = params.denoisingStrength
    }

    property string missingUpscaler  // a recalled image's upscaler that the library lacks

    columns: 2
    columnSpacing: 12

    CheckBox {
        id: enable
        objectName: "hiresFix"
        text: qsTr("Hires. fix")
        Layout.columnSpan: 2
        ToolTip.text: qsTr("Generate at the size above, upscale, then add detail with a second pass"); ToolTip.visible: hovered
    }
    Label { text: qsTr("Upscaler"); visible: enable.checked }
    ComboBox {
        id: upscaler
        objectName: "hiresUpscaler"
        visible: enable.checked
        model: settings.controller.hiresUpscalers.concat(settings.controller.models.upscalers)
        Layout.fillWidth: true
        Component.onCompleted: currentIndex = find(settings.defaults.hiresUpscaler)
        onActivated: settings.missingUpscaler = ""
        ToolTip.text: qsTr("Latent modes resize the latent; the others upscale the decoded image"); ToolTip.visible: hovered
    }
    Label {
        text: qsTr("The image's upscaler “%1” is not in the library").arg(settings.missingUpscaler)
        visible: enable.checked && settings.missingUpscaler !== ""
        color: "#ff8a80"
        wrapMode: Text.Wrap
        Layout.columnSpan: 2
        Layout.fillWidth: true
    }
    Label { text: qsTr("Upscale by"); visible: enable.checked }
    RowLayout {
        visible: enable.checked
        Layout.fillWidth: true
        DecimalSpinBox {
            id: scale
            objectName: "hiresScale"
            decimals: 2; realFrom: 1; realTo: 4; realStep: 0.05; realValue: settings.defaults.hiresScale
            enabled: resizeWidth.value === 0 && resizeHeight.value === 0
            Layout.fillWidth: true
        }
        Label {
            objectName: "hiresTarget"
            text: resizeWidth.value === 0 && resizeHeight.value === 0
                  ? qsTr("→ %1 × %2").arg(Math.floor(settings.firstPassWidth * scale.realValue))
                                     .arg(Math.floor(settings.firstPassHeight * scale.realValue))
                  : ""
        }
    }
    Label { text: qsTr("Resize to"); visible: enable.checked }
    RowLayout {
        visible: enable.checked
        Layout.fillWidth: true
        component Side: SpinBox {
            from: 0; to: 4096; stepSize: 8; editable: true
            Layout.fillWidth: true
            ToolTip.text: qsTr("0: from the scale (both 0) or from the other side's ratio"); ToolTip.visible: hovered
        }
        Side { id: resizeWidth; objectName: "hiresWidth"; value: settings.defaults.hiresWidth }
        Label { text: "×" }
        Side { id: resizeHeight; objectName: "hiresHeight"; value: settings.defaults.hiresHeight }
    }
    Label { text: qsTr("Hires steps"); visible: enable.checked }
    SpinBox {
        id: steps
        objectName: "hiresSteps"
        visible: enable.checked
        from: 0; to: 150; value: settings.defaults.hiresSteps; editable: true
        Layout.fillWidth: true
        ToolTip.text: qsTr("Steps of the second pass; 0: as many as the first"); ToolTip.visible: hovered
    }
    Label { text: qsTr("Denoising"); visible: enable.checked }
    RowLayout {
        visible: enable.checked
        Slider { id: strength; objectName: "hiresDenoising"; from: 0; to: 1; stepSize: 0.01; value: settings.defaults.denoisingStrength; Layout.fillWidth: true }
        Label { text: strength.value.toFixed(2) }
    }
}
