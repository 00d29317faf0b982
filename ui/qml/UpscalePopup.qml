import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// The gallery's Upscale action, as A1111's extras tab: an upscaler (Lanczos, Nearest or one of
// the library's models, by the names A1111 gives them) and a factor; the copy is a new image in
// the gallery, carrying the source's parameters and "Postprocess upscale by / upscaler".
Popup {
    id: popup
    required property StudioController controller
    property string path  // the image to upscale
    property int imageWidth: 0   // its size, for the target shown
    property int imageHeight: 0
    readonly property string upscaler: upscalerBox.currentText
    readonly property real factor: scaleBox.realValue
    signal queued(int jobId)

    function start() {
        const id = controller.upscale(path, upscaler, factor)
        if (id >= 0) { queued(id); close() }
    }

    modal: true
    padding: 12
    onAboutToShow: {
        const names = controller.upscalerNames()
        upscalerBox.model = names
        upscalerBox.currentIndex = names.length > 2 ? 2 : 0  // the library's first model, else Lanczos
    }

    GridLayout {
        columns: 2
        columnSpacing: 12
        Label { text: qsTr("Upscaler") }
        ComboBox { id: upscalerBox; objectName: "upscaleUpscaler"; Layout.preferredWidth: 240 }
        Label { text: qsTr("Upscale by") }
        DecimalSpinBox {
            id: scaleBox
            objectName: "upscaleScale"
            decimals: 2; realFrom: 1; realTo: 8; realStep: 0.5; realValue: 4  // A1111's extras default
        }
        Label {
            Layout.columnSpan: 2
            opacity: 0.7
            visible: popup.imageWidth > 0
            // About: a model's result is cut to a multiple of 8, as A1111 does.
            text: qsTr("→ %1 × %2").arg(Math.floor(popup.imageWidth * popup.factor)).arg(Math.floor(popup.imageHeight * popup.factor))
        }
        Button {
            objectName: "upscaleStart"
            Layout.columnSpan: 2
            Layout.alignment: Qt.AlignRight
            text: qsTr("Upscale")
            highlighted: true
            enabled: popup.upscaler !== ""
            onClicked: popup.start()
        }
    }
}
