import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// A1111's inpainting settings (for a mask) and outpainting borders (the canvas grown by so many
// pixels on each side, the new area inpainted), as GenerationParams keys (ui/params_map.h).
GridLayout {
    id: settings
    required property StudioController controller
    readonly property var defaults: controller.defaults

    function parameters() {
        return {
            maskBlur: maskBlur.value,
            invertMask: invertMask.checked,
            maskedContent: maskedContent.currentText,
            inpaintArea: inpaintArea.currentText,
            maskedPadding: maskedPadding.value,
            outpaintLeft: outpaintLeft.value,
            outpaintRight: outpaintRight.value,
            outpaintTop: outpaintTop.value,
            outpaintBottom: outpaintBottom.value
        }
    }

    // Sets the keys `params` has.
    function apply(params) {
        const pick = (box, value) => { const i = box.find(value); if (i >= 0) box.currentIndex = i }
        if (params.maskBlur !== undefined) maskBlur.value = params.maskBlur
        if (params.invertMask !== undefined) invertMask.checked = params.invertMask
        if (params.maskedContent !== undefined) pick(maskedContent, params.maskedContent)
        if (params.inpaintArea !== undefined) pick(inpaintArea, params.inpaintArea)
        if (params.maskedPadding !== undefined) maskedPadding.value = params.maskedPadding
        if (params.outpaintLeft !== undefined) outpaintLeft.value = params.outpaintLeft
        if (params.outpaintRight !== undefined) outpaintRight.value = params.outpaintRight
        if (params.outpaintTop !== undefined) outpaintTop.value = params.outpaintTop
        if (params.outpaintBottom !== undefined) outpaintBottom.value = params.outpaintBottom
    }

    columns: 2
    columnSpacing: 12

    Label { text: qsTr("Mask blur") }
    SpinBox { id: maskBlur; objectName: "maskBlur"; from: 0; to: 64; value: settings.defaults.maskBlur; editable: true; Layout.fillWidth: true
        ToolTip.text: qsTr("Pixels of blur at the mask's edge, where the new and the old blend"); ToolTip.visible: hovered }
    Label { text: qsTr("Masked content") }
    ComboBox { id: maskedContent; objectName: "maskedContent"; model: settings.controller.maskedContents; Layout.fillWidth: true
        Component.onCompleted: currentIndex = find(settings.defaults.maskedContent)
        ToolTip.text: qsTr("What the masked area starts from: the image's colours spread in (fill), the image, noise or nothing")
        ToolTip.visible: hovered }
    Label { text: qsTr("Inpaint area") }
    RowLayout {
        Layout.fillWidth: true
        ComboBox { id: inpaintArea; objectName: "inpaintArea"; model: settings.controller.inpaintAreas; Layout.fillWidth: true
            Component.onCompleted: currentIndex = find(settings.defaults.inpaintArea)
            ToolTip.text: qsTr("Only masked: the area around the mask is generated at the full size, then pasted back")
            ToolTip.visible: hovered }
        SpinBox { id: maskedPadding; objectName: "maskedPadding"; from: 0; to: 256; value: settings.defaults.maskedPadding; editable: true
            enabled: inpaintArea.currentIndex === 1
            ToolTip.text: qsTr("Only masked padding: pixels around the mask's box"); ToolTip.visible: hovered }
    }
    Label { text: qsTr("Invert mask") }
    CheckBox { id: invertMask; objectName: "invertMask"; text: qsTr("Inpaint not masked"); checked: settings.defaults.invertMask }
    Label { text: qsTr("Outpaint"); Layout.columnSpan: 2; font.bold: true }
    GridLayout {
        Layout.columnSpan: 2
        Layout.fillWidth: true
        columns: 4
        component Border: SpinBox {
            from: 0; to: 2048; stepSize: 8; value: 0; editable: true
            Layout.fillWidth: true
            ToolTip.text: qsTr("Pixels the canvas grows by on this side; the new area is inpainted")
            ToolTip.visible: hovered
        }
        Label { text: qsTr("Left") }
        Border { id: outpaintLeft; objectName: "outpaintLeft" }
        Label { text: qsTr("Right") }
        Border { id: outpaintRight; objectName: "outpaintRight" }
        Label { text: qsTr("Top") }
        Border { id: outpaintTop; objectName: "outpaintTop" }
        Label { text: qsTr("Bottom") }
        Border { id: outpaintBottom; objectName: "outpaintBottom" }
    }
}
