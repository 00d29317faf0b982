import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Atelier

// Paints the inpainting mask over the init image: white (shown in the tint) repaints, the rest
// is kept. Keys as image editors have them: [ and ] brush size, X paint/erase, Ctrl+Z undo,
// Ctrl+Shift+Z or Ctrl+Y redo, Ctrl+I invert.
FocusScope {
    id: editor
    property string imagePath
    property real overlayOpacity: 0.6
    readonly property MaskCanvas canvas: canvas
    signal done()
    signal failed(string message)

    function smallerBrush() { canvas.brushSize = Math.min(canvas.brushSize - 1, Math.round(canvas.brushSize / 1.2)) }
    function largerBrush() { canvas.brushSize = Math.max(canvas.brushSize + 1, Math.round(canvas.brushSize * 1.2)) }

    onImagePathChanged: canvas.reset()

    // Keys no control takes (the sliders and buttons leave these alone) reach the editor.
    Keys.onPressed: event => {
        const ctrl = event.modifiers & Qt.ControlModifier, shift = event.modifiers & Qt.ShiftModifier
        if (event.key === Qt.Key_BracketLeft) smallerBrush()
        else if (event.key === Qt.Key_BracketRight) largerBrush()
        else if (event.key === Qt.Key_Z && ctrl && shift) canvas.redo()
        else if (event.key === Qt.Key_Z && ctrl) canvas.undo()
        else if (event.key === Qt.Key_Y && ctrl) canvas.redo()
        else if (event.key === Qt.Key_I && ctrl) canvas.invert()
        else if (event.key === Qt.Key_X && !ctrl) canvas.erasing = !canvas.erasing
        else return
        event.accepted = true
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        Flow {
            Layout.fillWidth: true
            spacing: 6
            ButtonGroup { id: tools }
            Button { objectName: "paintTool"; text: qsTr("Paint"); checkable: true; checked: !canvas.erasing; ButtonGroup.group: tools
                onClicked: canvas.erasing = false; ToolTip.text: qsTr("X swaps paint and erase"); ToolTip.visible: hovered }
            Button { objectName: "eraseTool"; text: qsTr("Erase"); checkable: true; checked: canvas.erasing; ButtonGroup.group: tools
                onClicked: canvas.erasing = true; ToolTip.text: qsTr("X swaps paint and erase"); ToolTip.visible: hovered }
            Row {
                spacing: 4
                Label { text: qsTr("Size %1").arg(canvas.brushSize); anchors.verticalCenter: parent.verticalCenter; width: 70 }
                Slider { from: 1; to: 512; value: canvas.brushSize; onMoved: canvas.brushSize = Math.round(value); width: 140
                    ToolTip.text: qsTr("Brush diameter in image pixels: [ and ]"); ToolTip.visible: hovered }
            }
            Row {
                spacing: 4
                Label { text: qsTr("Hardness"); anchors.verticalCenter: parent.verticalCenter }
                Slider { from: 0; to: 1; value: canvas.hardness; onMoved: canvas.hardness = value; width: 100 }
            }
            Row {
                spacing: 4
                Label { text: qsTr("Opacity"); anchors.verticalCenter: parent.verticalCenter }
                Slider { objectName: "opacitySlider"; from: 0.1; to: 1; value: editor.overlayOpacity; onMoved: editor.overlayOpacity = value; width: 100 }
            }
            Button { text: qsTr("Undo"); enabled: canvas.canUndo; onClicked: canvas.undo(); ToolTip.text: qsTr("Ctrl+Z"); ToolTip.visible: hovered }
            Button { text: qsTr("Redo"); enabled: canvas.canRedo; onClicked: canvas.redo(); ToolTip.text: qsTr("Ctrl+Shift+Z"); ToolTip.visible: hovered }
            Button { text: qsTr("Invert"); onClicked: canvas.invert(); ToolTip.text: qsTr("Ctrl+I"); ToolTip.visible: hovered }
            Button { text: qsTr("Clear"); onClicked: canvas.clear() }
            Button { text: qsTr("Load mask…"); onClicked: maskDialog.open()
                ToolTip.text: qsTr("A mask image: white repaints, black keeps"); ToolTip.visible: hovered }
            Button { text: qsTr("Done"); highlighted: true; onClicked: editor.done() }
        }

        Item {
            id: stage
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true

            Image {
                id: picture
                objectName: "maskEditorImage"
                anchors.fill: parent
                fillMode: Image.PreserveAspectFit
                source: editor.imagePath === "" ? "" : "file://" + editor.imagePath
                asynchronous: true
            }
            // The mask at the picture's painted rectangle, drawn as a layer so that erasing
            // takes the tint out of it, then shown at the opacity chosen.
            Item {
                id: overlay
                x: (stage.width - picture.paintedWidth) / 2
                y: (stage.height - picture.paintedHeight) / 2
                width: picture.paintedWidth
                height: picture.paintedHeight
                opacity: editor.overlayOpacity
                MaskCanvas {
                    id: canvas
                    objectName: "maskCanvas"
                    anchors.fill: parent
                    imageSize: picture.status === Image.Ready ? picture.sourceSize : Qt.size(0, 0)
                    layer.enabled: true
                }
            }
            MouseArea {
                id: brushArea
                objectName: "maskBrushArea"
                anchors.fill: overlay
                hoverEnabled: true
                cursorShape: Qt.CrossCursor
                onPressed: mouse => { editor.forceActiveFocus(); canvas.beginStroke(mouse.x, mouse.y) }
                onPositionChanged: mouse => { if (pressed) canvas.extendStroke(mouse.x, mouse.y) }
                onReleased: canvas.endStroke()
                onCanceled: canvas.endStroke()
            }
            Rectangle {  // the brush's outline under the pointer
                readonly property real side: canvas.imageSize.width > 0 ? canvas.brushSize * overlay.width / canvas.imageSize.width : 0
                visible: brushArea.containsMouse
                x: overlay.x + brushArea.mouseX - side / 2
                y: overlay.y + brushArea.mouseY - side / 2
                width: side
                height: side
                radius: side / 2
                color: "transparent"
                border.color: canvas.erasing ? "#80deea" : "white"
                border.width: 1.5
            }
            Label {
                anchors.centerIn: parent
                visible: editor.imagePath === ""
                text: qsTr("Choose an init image first")
                opacity: 0.6
            }
        }
    }

    FileDialog {
        id: maskDialog
        title: qsTr("Choose a mask image")
        nameFilters: [qsTr("Images (*.png *.jpg *.jpeg *.bmp *.webp)")]
        onAccepted: if (!canvas.loadMask(selectedFile.toString())) editor.failed(canvas.error())
    }
}
